"""The base of the SDK's small value classes (configuration, transport messages, token
responses). They behave like dataclasses (keyword or positional construction, field-wise
``==`` and ``repr``) without importing ``dataclasses``, which with ``inspect`` costs
about ten milliseconds of every ``import zaby``."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Record:
    """Fields are the ``__slots__`` of the concrete class, in order. Defining ``__eq__``
    without ``__hash__`` makes instances unhashable, as for a mutable dataclass."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in type(self).__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine: tuple[Any, ...] = self._values()
        theirs: tuple[Any, ...] = other._values()  # type: ignore[attr-defined]
        return mine == theirs

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__slots__)
        return f"{type(self).__qualname__}({fields})"


class FrozenRecord(Record):
    """A record whose fields cannot be reassigned after construction (hashable)."""

    __slots__: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")

    def __hash__(self) -> int:
        return hash(self._values())

    def __getstate__(self) -> tuple[Any, ...]:
        return self._values()

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(type(self).__slots__, state):
            object.__setattr__(self, name, value)
