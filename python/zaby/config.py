"""Configuration (`docs/configuration.md`): the global layer, per-instance overrides, retries and
per-call options. Resolution and validation happen in the core."""

from __future__ import annotations

from . import _native
from ._record import FrozenRecord, Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = [
    "ZabyGlobalConfig",
    "RetryPolicy",
    "RequestOptions",
    "ResolvedZabyConfig",
    "configure_zaby",
    "reset_zaby_config_for_tests",
    "resolve_zaby_config",
]


class RetryPolicy(Record):
    """Retry settings; every unset (``None``) field takes the default in docs/configuration.md."""

    __slots__ = ("attempts", "retry_methods", "retry_statuses", "backoff_ms")

    attempts: int
    """Additional attempts after the first (negative means 0)."""
    retry_methods: list[str] | None
    """Methods eligible for retry; default ``["GET", "HEAD", "OPTIONS"]``; ``[]`` means none."""
    retry_statuses: list[int] | None
    """Statuses that trigger a retry; default ``[408, 429, 500, 502, 503, 504]``."""
    backoff_ms: Callable[[int], float] | None
    """Delay in ms before retry number ``attempt + 1``; default ``min(100 * 2**attempt, 1000)``."""

    def __init__(
        self,
        attempts: int = 0,
        retry_methods: list[str] | None = None,
        retry_statuses: list[int] | None = None,
        backoff_ms: Callable[[int], float] | None = None,
    ) -> None:
        self.attempts = attempts
        self.retry_methods = retry_methods
        self.retry_statuses = retry_statuses
        self.backoff_ms = backoff_ms


class ZabyGlobalConfig(Record):
    """One configuration layer. ``None`` means "inherit from the layer below".

    ``fetch`` is accepted for source compatibility with the public Python SDK: it is kept
    (and returned by ``resolve_zaby_config``) but never called; pass a ``transport`` to
    change how requests are sent.
    """

    __slots__ = ("environment", "api_origin", "timeout_ms", "retries", "user_agent", "tenant_id", "fetch")

    environment: str | None
    api_origin: str | None
    timeout_ms: int | None
    retries: int | RetryPolicy | None
    user_agent: str | None
    tenant_id: str | None
    fetch: Callable[..., Any] | None

    def __init__(
        self,
        environment: str | None = None,
        api_origin: str | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
        user_agent: str | None = None,
        tenant_id: str | None = None,
        fetch: Callable[..., Any] | None = None,
    ) -> None:
        self.environment = environment
        self.api_origin = api_origin
        self.timeout_ms = timeout_ms
        self.retries = retries
        self.user_agent = user_agent
        self.tenant_id = tenant_id
        self.fetch = _checked_fetch(fetch)


def _checked_fetch(fetch: Any) -> Any:
    if fetch is not None and not callable(fetch):
        from .errors import ZabyError

        raise ZabyError(f"fetch must be callable, got {type(fetch).__name__}", code="INVALID_CONFIG")
    return fetch


# `fetch` of the global layer: the core never uses it, so it stays on this side.
_global_fetch: Any = None


class RequestOptions(FrozenRecord):
    """Per-call options; the explicit keywords of a method call win over these.

    ``signal`` aborts the call or stream with ``ZabyError`` code ``ABORTED`` once it is
    set: an ``asyncio.Event`` on the async client, a ``threading.Event`` on ``zaby.sync``.
    """

    __slots__ = ("request_id", "timeout_ms", "signal")

    request_id: str | None
    timeout_ms: int | None
    signal: Any

    def __init__(self, request_id: str | None = None, timeout_ms: int | None = None, signal: Any = None) -> None:
        object.__setattr__(self, "request_id", request_id)
        object.__setattr__(self, "timeout_ms", timeout_ms)
        object.__setattr__(self, "signal", signal)


class ResolvedZabyConfig(FrozenRecord):
    """The configuration a client built now would use (every field resolved)."""

    __slots__ = ("environment", "api_origin", "timeout_ms", "retries", "user_agent", "tenant_id", "fetch")

    environment: str
    api_origin: str
    timeout_ms: int
    retries: RetryPolicy
    user_agent: str | None
    tenant_id: str | None
    fetch: Callable[..., Any] | None

    def __init__(
        self,
        environment: str,
        api_origin: str,
        timeout_ms: int,
        retries: RetryPolicy,
        user_agent: str | None,
        tenant_id: str | None,
        fetch: Callable[..., Any] | None = None,
    ) -> None:
        values = (environment, api_origin, timeout_ms, retries, user_agent, tenant_id, fetch)
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)


_FIELDS = frozenset(ZabyGlobalConfig.__slots__)


def configure_zaby(config: ZabyGlobalConfig | None = None, **fields: Any) -> None:
    """Merges settings into the process-wide configuration.

    Fields that are set overwrite; unset fields keep their previous global value.
    Accepts a ``ZabyGlobalConfig``, keyword fields, or both (keywords win).
    """
    unknown = sorted(set(fields) - _FIELDS)
    if unknown:
        raise TypeError(f"configure_zaby() got an unexpected keyword argument {unknown[0]!r}")
    if config is not None and not isinstance(config, ZabyGlobalConfig):
        raise TypeError(f"config must be a ZabyGlobalConfig, got {type(config).__name__}")
    base = config or ZabyGlobalConfig()
    merged = ZabyGlobalConfig(**{name: getattr(base, name) for name in ZabyGlobalConfig.__slots__})
    for name, value in fields.items():
        if value is not None:
            setattr(merged, name, value)
    _checked_fetch(merged.fetch)
    _native.configure(merged)
    global _global_fetch
    if merged.fetch is not None:
        _global_fetch = merged.fetch


def reset_zaby_config_for_tests() -> None:
    """Restores the empty global configuration."""
    global _global_fetch
    _global_fetch = None
    _native.reset_config()


def resolve_zaby_config(overrides: ZabyGlobalConfig | None = None) -> ResolvedZabyConfig:
    """Resolves instance overrides > global > environment > defaults without building a client."""
    return _resolved(_native.resolve_config(overrides), _fetch_of(overrides))


def _fetch_of(overrides: ZabyGlobalConfig | None) -> Any:
    """The ``fetch`` a client built now with ``overrides`` keeps (instance > global)."""
    if overrides is not None and overrides.fetch is not None:
        return _checked_fetch(overrides.fetch)
    return _global_fetch


def _resolved(raw: dict[str, Any], fetch: Any = None) -> ResolvedZabyConfig:
    r = raw["retries"]
    retries = RetryPolicy(r["attempts"], list(r["retry_methods"]), list(r["retry_statuses"]), r["backoff_ms"])
    return ResolvedZabyConfig(
        environment=raw["environment"],
        api_origin=raw["api_origin"],
        timeout_ms=raw["timeout_ms"],
        retries=retries,
        user_agent=raw["user_agent"],
        tenant_id=raw["tenant_id"],
        fetch=fetch,
    )


def _call_options(
    request_id: str | None, timeout_ms: int | None, options: RequestOptions | None, signal: Any = None
) -> tuple[str | None, int | None, Any]:
    """Merges explicit keywords over a ``RequestOptions`` object."""
    if options is None:
        return request_id, timeout_ms, signal
    if not isinstance(options, RequestOptions):
        raise TypeError(f"options must be a RequestOptions, got {type(options).__name__}")
    return (
        request_id if request_id is not None else options.request_id,
        timeout_ms if timeout_ms is not None else options.timeout_ms,
        signal if signal is not None else options.signal,
    )
