"""Checking that a webhook delivery (docs/webhooks.md) or an http function tool's call
(docs/function-tools.md) comes from the Zaby server.

The check itself — the Standard Webhooks signature scheme, several signatures after a
secret rotation, constant-time comparison, the timestamp tolerance — happens in the
Rust core; this module only passes the delivery to it::

    from zaby import webhooks

    event = webhooks.verify(request.body, request.headers, secret=os.environ["ZABY_WEBHOOK_SECRET"])
    if event["type"] == "run.completed":
        ...

    call = webhooks.verify_signature(request.body, request.headers, secret=os.environ["ZABY_TOOL_SECRET"])
    city = call["arguments"]["city"]
"""

from __future__ import annotations

from . import _native

# `typing` and the type stubs stay unloaded at run time, like the rest of `import zaby`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .types import WebhookEvent

__all__ = ["DEFAULT_TOLERANCE_S", "verify", "verify_signature"]

DEFAULT_TOLERANCE_S: float = 300
"""How far ``webhook-timestamp`` may be from now, either way, by default (seconds)."""


def verify(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> WebhookEvent:
    """Returns the delivery's event once its signature and timestamp check out.

    ``payload`` is the request body exactly as received (bytes, or the text it
    decodes to); ``headers`` the request headers, names in any case; ``secret`` the
    endpoint's ``whsec_…`` secret. Raises ``ZabyWebhookVerificationError`` (code
    ``WEBHOOK_SIGNATURE_INVALID`` or ``WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE``) when the
    delivery cannot be trusted, ``ZabyError`` (``INVALID_ARGUMENT``) for a malformed secret.
    """
    return _native.verify_webhook(*_signed(payload, headers), secret, float(tolerance_s))


def verify_signature(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> Any:
    """Returns a signed request's body, parsed from JSON, once its signature and
    timestamp check out: the check of :func:`verify`, for bodies that are not webhook
    events. An http function tool's receiver gives it the call as received and the
    agent's ``functionToolSecret``, and gets ``{"toolCallId", "runId", "agentId", "name",
    "arguments"}`` back. Raises as :func:`verify` does, and ``ZabyError``
    (``INVALID_ARGUMENT``) when the signed body is not JSON.
    """
    return _native.verify_signature(*_signed(payload, headers), secret, float(tolerance_s))


def _signed(payload: bytes | str, headers: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """The body as bytes and the headers as a plain dict of strings, as the core takes them."""
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    return body, {str(name): str(value) for name, value in headers.items()}
