"""The two clients: ``Zaby`` (management, API key / tenant token) and ``ZabyRuntime``
(end-user runtime, runtime token). Construction is synchronous and does no I/O."""

from __future__ import annotations

from . import _native
from ._clients import _RuntimeClients, _ZabyClients
from .config import ResolvedZabyConfig, ZabyGlobalConfig, _fetch_of, _resolved
from .transport import _native_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Awaitable, Callable, Union

    from .transport import ZabyTransport

    CredentialProvider = Union[str, Callable[[], str], Callable[[], Awaitable[str]]]
    """A credential: the value itself, or a sync or async function returning it on every attempt."""

__all__ = ["Zaby", "ZabyRuntime", "CredentialProvider"]


def __getattr__(name: str) -> Any:
    # The alias needs `typing` at run time; it is built on first use so that `import zaby`
    # does not pay for `typing`.
    if name == "CredentialProvider":
        from typing import Awaitable, Callable, Union

        alias = Union[str, Callable[[], str], Callable[[], Awaitable[str]]]
        globals()["CredentialProvider"] = alias
        return alias
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Client:
    _native: Any
    _fetch: Any = None

    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called."""
        return bool(self._native.closed)

    @property
    def config(self) -> ResolvedZabyConfig:
        """The configuration resolved when this client was built."""
        return _resolved(self._native.resolved_config(), self._fetch)

    async def aclose(self) -> None:
        """Closes the client (idempotent); later calls raise ``ZabyError`` ``CLIENT_CLOSED``."""
        await self._native.aclose()


class Zaby(_Client, _ZabyClients):
    """The management client: agents, deployments, tokens, knowledge, MCP, …

    ``api_key``/``access_token`` take a string or a sync/async callable returning one.
    """

    def __init__(
        self,
        api_key: CredentialProvider | None = None,
        access_token: CredentialProvider | None = None,
        transport: ZabyTransport | None = None,
        config: ZabyGlobalConfig | None = None,
        tenant_id: str | None = None,
        *,
        api_origin: str | None = None,
    ) -> None:
        _check_config(config)
        self._fetch = _fetch_of(config)
        self._native = _native.NativeClient.zaby(
            api_key,
            access_token,
            None if transport is None else _native_of(transport),
            _with_origin(config, api_origin),
            tenant_id,
        )
        self._attach_clients(self._native)

    async def __aenter__(self) -> Zaby:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"Zaby(api_origin={self.config.api_origin!r}, closed={self.closed})"


class ZabyRuntime(_Client, _RuntimeClients):
    """The end-user runtime client: start runs, stream events, approve, give feedback."""

    def __init__(
        self,
        token: CredentialProvider,
        transport: ZabyTransport | None = None,
        config: ZabyGlobalConfig | None = None,
        *,
        api_origin: str | None = None,
    ) -> None:
        _check_config(config)
        self._fetch = _fetch_of(config)
        self._native = _native.NativeClient.runtime(
            token, None if transport is None else _native_of(transport), _with_origin(config, api_origin)
        )
        self._attach_clients(self._native)

    async def __aenter__(self) -> ZabyRuntime:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"ZabyRuntime(api_origin={self.config.api_origin!r}, closed={self.closed})"


def _check_config(config: object) -> None:
    if config is not None and not isinstance(config, ZabyGlobalConfig):
        raise TypeError(f"config must be a ZabyGlobalConfig, got {type(config).__name__}")


def _with_origin(config: ZabyGlobalConfig | None, api_origin: str | None) -> ZabyGlobalConfig | None:
    """``api_origin=`` is the highest-precedence origin: it wins over ``config.api_origin``
    (`docs/configuration.md`). The caller's config object is left untouched."""
    if api_origin is None:
        return config
    if not isinstance(api_origin, str):
        from .errors import ZabyError

        raise ZabyError(f"api_origin must be a str, got {type(api_origin).__name__}", code="INVALID_ARGUMENT")
    base = config or ZabyGlobalConfig()
    merged = ZabyGlobalConfig(**{name: getattr(base, name) for name in ZabyGlobalConfig.__slots__})
    merged.api_origin = api_origin
    return merged
