"""The error hierarchy of `docs/errors.md`, shared by everything the SDK raises.

The native layer builds these classes with every field filled in (status, code,
request id, retry hint, body, headers, …) and chains the underlying error as
``__cause__``. All errors are picklable, so they cross process boundaries intact.
"""

from __future__ import annotations

from ._record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

__all__ = [
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
    "MockTransportError",
    "ZabyWebhookVerificationError",
    "ZabyApiErrorInput",
    "create_zaby_api_error",
]


def _rebuild(cls: type[ZabyError], message: str, state: dict[str, Any], cause: BaseException | None) -> ZabyError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    if cause is not None:
        err.__cause__ = cause
    return err


class ZabyError(Exception):
    """Base of every error the SDK raises. ``str(err)`` is the message."""

    message: str
    code: str | None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        cause = self.__cause__
        if cause is not None:
            import pickle  # only needed when an error is actually pickled

            try:
                pickle.dumps(cause)
            except Exception:  # an unpicklable cause is dropped rather than failing the error
                cause = None
        return (_rebuild, (type(self), self.message, dict(self.__dict__), cause))


class ZabyApiErrorInput(Record):
    """The fields of an API error, as one value (first argument of ``ZabyApiError``)."""

    __slots__ = ("status", "message", "code", "request_id", "retry_after", "details", "headers")

    status: int
    message: str | None
    code: str | None
    request_id: str | None
    retry_after: int | None
    details: Any
    headers: Mapping[str, str] | None

    def __init__(
        self,
        status: int,
        message: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: int | None = None,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after
        self.details = details
        self.headers = headers


def _default_message(status: int) -> str:
    return f"Zaby API request failed with status {status}."


class ZabyApiError(ZabyError):
    """The server answered with a non-2xx status."""

    status: int
    request_id: str | None
    retry_after: int | None
    details: Any
    headers: dict[str, str]

    def __init__(
        self,
        status: int | ZabyApiErrorInput,
        message: str | None = None,
        *,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: int | None = None,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(status, ZabyApiErrorInput):
            given = status
            status, message, code = given.status, given.message, given.code
            request_id, retry_after = given.request_id, given.retry_after
            details, headers = given.details, given.headers
        if isinstance(status, bool) or not isinstance(status, int):
            raise TypeError(f"status must be an int, got {type(status).__name__}")
        super().__init__(message or _default_message(status), code=code)
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        self.details = details
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}

    @property
    def body(self) -> Any:
        """Alias of ``details``: the whole parsed response body."""
        return self.details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class ZabyAuthError(ZabyApiError):
    """401."""


class ZabyRuntimeTokenExpiredError(ZabyAuthError):
    """The runtime token is past its expiry (``MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED``)."""


class ZabyPermissionError(ZabyApiError):
    """403."""


class ZabyRuntimeTokenExhaustedError(ZabyPermissionError):
    """The runtime token has no uses left (``MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED``)."""


class ZabyNotFoundError(ZabyApiError):
    """404."""


class ZabyConflictError(ZabyApiError):
    """409."""


class ZabyValidationError(ZabyApiError):
    """400 or 422."""


class ZabyRateLimitError(ZabyApiError):
    """429; ``retry_after`` says how long to wait."""


class ZabyStreamError(ZabyApiError):
    """A run's stream failed after it opened (docs/streaming.md)."""

    run_id: str | None
    last_event_id: str | None

    def __init__(
        self,
        status: int | ZabyApiErrorInput,
        message: str | None = None,
        *,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: int | None = None,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
        run_id: str | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__(
            status,
            message,
            code=code,
            request_id=request_id,
            retry_after=retry_after,
            details=details,
            headers=headers,
        )
        self.run_id = run_id
        self.last_event_id = last_event_id


class ZabyConnectionError(ZabyError):
    """No HTTP response: DNS, refused or reset connection, TLS, interrupted body."""

    def __init__(self, message: str, *, code: str | None = "CONNECTION_ERROR") -> None:
        super().__init__(message, code=code)


class ZabyTimeoutError(ZabyError):
    """An attempt exceeded its deadline of ``timeout_ms`` milliseconds."""

    timeout_ms: int | None

    def __init__(self, message: str, *, code: str | None = "TIMEOUT", timeout_ms: int | None = None) -> None:
        super().__init__(message, code=code)
        self.timeout_ms = timeout_ms


class MockTransportError(ZabyError, RuntimeError):
    """A ``MockTransport`` had no response queued, or the next one did not match."""

    def __init__(self, message: str, *, code: str | None = "MOCK_TRANSPORT") -> None:
        super().__init__(message, code=code)


class ZabyWebhookVerificationError(ZabyError):
    """``webhooks.verify`` refused a delivery: no signature matches, a signed header is
    missing (``WEBHOOK_SIGNATURE_INVALID``), or its timestamp is outside the tolerance
    (``WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE``)."""

    def __init__(self, message: str, *, code: str | None = "WEBHOOK_SIGNATURE_INVALID") -> None:
        super().__init__(message, code=code)


_BY_NAME: dict[str, type[ZabyApiError]] = {
    cls.__name__: cls
    for cls in (
        ZabyApiError,
        ZabyAuthError,
        ZabyRuntimeTokenExpiredError,
        ZabyPermissionError,
        ZabyRuntimeTokenExhaustedError,
        ZabyNotFoundError,
        ZabyConflictError,
        ZabyValidationError,
        ZabyRateLimitError,
    )
}


def create_zaby_api_error(
    status: int | ZabyApiErrorInput,
    message: str | None = None,
    *,
    code: str | None = None,
    request_id: str | None = None,
    retry_after: int | None = None,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> ZabyApiError:
    """Builds the API error class the mapping table of docs/errors.md picks for ``status``/``code``."""
    given = (
        status
        if isinstance(status, ZabyApiErrorInput)
        else ZabyApiErrorInput(status, message, code, request_id, retry_after, details, headers)
    )
    from . import _native  # the mapping table lives in the core

    cls = _BY_NAME[_native.api_error_class(given.status, given.code)]
    return cls(given)
