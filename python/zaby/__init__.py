"""Zaby: the Python SDK of the Zaby AI-agent platform.

Async everywhere, on one Rust core::

    from zaby import Zaby

    async with Zaby(api_key="zaby_pk_...") as zaby:
        agent = await zaby.agents.create({"slug": "helper", "name": "Helper"})
"""

from __future__ import annotations

import os as _os

from . import _native, webhooks
from ._native import RunEventStream
from ._sse import SseEvent
from .client import Zaby, ZabyRuntime
from .config import (
    RequestOptions,
    RetryPolicy,
    ZabyGlobalConfig,
    configure_zaby,
    reset_zaby_config_for_tests,
    resolve_zaby_config,
)
from .errors import (
    MockTransportError,
    ZabyApiError,
    ZabyApiErrorInput,
    ZabyAuthError,
    ZabyConflictError,
    ZabyConnectionError,
    ZabyError,
    ZabyNotFoundError,
    ZabyPermissionError,
    ZabyRateLimitError,
    ZabyRuntimeTokenExhaustedError,
    ZabyRuntimeTokenExpiredError,
    ZabyStreamError,
    ZabyTimeoutError,
    ZabyValidationError,
    ZabyWebhookVerificationError,
    create_zaby_api_error,
)
from .mocks import MockRequest, MockResponse, MockTransport
from .tokens import RuntimeTokenResponse
from .transport import HttpTransport, TransportRequest, TransportResponse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .events import RunEvent as RunEvent
    from .transport import ZabyTransport as ZabyTransport
    from .types import ListResponse as ListResponse

__version__: str = _native.VERSION
DEFAULT_ZABY_API_ORIGIN: str = _native.DEFAULT_ZABY_API_ORIGIN
LOCAL_ZABY_API_ORIGIN: str = _native.LOCAL_ZABY_API_ORIGIN

# A forked child rebuilds the core's runtime and connection pool on first use.
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_native.after_fork_in_child)


def __getattr__(name: str) -> Any:
    # `ListResponse` and `RunEvent` live with the generated types and `ZabyTransport` is a
    # `typing` protocol; importing them lazily keeps `import zaby` fast.
    if name == "RunEvent":
        from .events import RunEvent

        return RunEvent
    if name == "ListResponse":
        from .types import ListResponse

        return ListResponse
    if name == "ZabyTransport":
        from .transport import ZabyTransport

        return ZabyTransport
    raise AttributeError(f"module 'zaby' has no attribute {name!r}")


__all__ = [
    "Zaby",
    "ZabyRuntime",
    "ZabyGlobalConfig",
    "RetryPolicy",
    "RequestOptions",
    "configure_zaby",
    "reset_zaby_config_for_tests",
    "resolve_zaby_config",
    "DEFAULT_ZABY_API_ORIGIN",
    "LOCAL_ZABY_API_ORIGIN",
    "ZabyError",
    "ZabyApiError",
    "ZabyAuthError",
    "ZabyRuntimeTokenExpiredError",
    "ZabyPermissionError",
    "ZabyRuntimeTokenExhaustedError",
    "ZabyNotFoundError",
    "ZabyConflictError",
    "ZabyValidationError",
    "ZabyRateLimitError",
    "ZabyStreamError",
    "ZabyConnectionError",
    "ZabyTimeoutError",
    "ZabyWebhookVerificationError",
    "create_zaby_api_error",
    "ZabyApiErrorInput",
    "SseEvent",
    "RunEvent",
    "RunEventStream",
    "ListResponse",
    "RuntimeTokenResponse",
    "ZabyTransport",
    "HttpTransport",
    "TransportRequest",
    "TransportResponse",
    "MockTransport",
    "MockResponse",
    "MockRequest",
    "MockTransportError",
    "webhooks",
    "__version__",
]
