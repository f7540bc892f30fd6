"""Coverage by observation: every client of the suite sends through a
`RecordingTransport`, and each answered request is mapped to its endpoint id
with the SDK's own endpoint table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from zaby import HttpTransport, TransportRequest, TransportResponse, _native


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    status: int


RECORDED: list[Recorded] = []


class RecordingTransport:
    """Forwards to the built-in HTTP transport and records (method, path, status)."""

    def __init__(self) -> None:
        self._inner = HttpTransport()

    async def send(self, request: TransportRequest) -> TransportResponse:
        response = await self._inner.send(request)
        RECORDED.append(Recorded(request.method.upper(), request.path.split("?", 1)[0], response.status))
        return response


@dataclass(frozen=True)
class Route:
    id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    params: int


def routes() -> list[Route]:
    out = []
    for e in _native.endpoints():
        template = e["path"]
        regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        out.append(Route(e["id"], e["method"], template, re.compile(regex), template.count("{")))
    return out


def endpoint_of(method: str, path: str, table: list[Route]) -> str | None:
    """The endpoint a request hit. A literal segment beats a parameter
    (`agents/approvals` is E37, not E4 with agentId "approvals")."""
    matches = [r for r in table if r.method == method and r.pattern.match(path)]
    if not matches:
        return None
    fewest = min(r.params for r in matches)
    best = [r for r in matches if r.params == fewest]
    if len(best) > 1:
        raise AssertionError(f"{method} {path} matches several endpoints: {[r.id for r in best]}")
    return best[0].id


def exercised(table: list[Route]) -> set[str]:
    """Endpoint ids of the recorded requests the server answered below 500."""
    return {e for r in RECORDED if r.status < 500 and (e := endpoint_of(r.method, r.path, table)) is not None}
