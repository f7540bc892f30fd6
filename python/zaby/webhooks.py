"""Checking that a webhook delivery comes from the Zaby server (docs/webhooks.md).

The check itself — the Standard Webhooks signature scheme, several signatures after a
secret rotation, constant-time comparison, the timestamp tolerance — happens in the
Rust core; this module only passes the delivery to it::

    from zaby import webhooks

    event = webhooks.verify(request.body, request.headers, secret=os.environ["ZABY_WEBHOOK_SECRET"])
    if event["type"] == "run.completed":
        ...
"""

from __future__ import annotations

from . import _native

# `typing` and the type stubs stay unloaded at run time, like the rest of `import zaby`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .types import WebhookEvent

__all__ = ["DEFAULT_TOLERANCE_S", "verify"]

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
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    plain = {str(name): str(value) for name, value in headers.items()}
    return _native.verify_webhook(body, plain, secret, float(tolerance_s))
