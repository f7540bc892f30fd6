"""Checks of the comparison's own parsing (plain asserts; smoke mode runs them), so a
broken reader cannot make one server look faster than the other."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator

import httpx

from lgbench.client import frames
from lgbench.report import rust_figures


class Chunks(httpx.AsyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c


def read(*chunks: bytes) -> list[tuple[str, str]]:
    async def collect() -> list[tuple[str, str]]:
        return [f async for f in frames(httpx.Response(200, stream=Chunks(*chunks)))]

    return asyncio.run(collect())


def test_frames_split_across_chunks_with_either_line_end() -> None:
    got = read(b": connected\n\nevent: RunStarted\ndata: {\"a\"", b": 1}\n\nevent: values\r\ndata: x\r\n\r\n")
    assert got == [("RunStarted", '{"a": 1}'), ("values", "x")], got


def test_frames_join_multi_line_data() -> None:
    assert read(b"event: text\ndata: one\ndata: two\n\n") == [("text", "one\ntwo")]


def test_rust_figures_reads_the_sqlite_column() -> None:
    table = (
        "| measurement | SQLite | PostgreSQL | target (issue 10) | reached |\n"
        "|---|---|---|---|---|\n"
        "| runs/s, 32 concurrent clients, 15s | 216 (3260 runs) | 191 (2898 runs) | ≥ 1,000 | **no** |\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".md") as f:
        f.write(table)
        f.flush()
        assert rust_figures(f.name)["runs/s, 32 concurrent clients, 15s"] == "216 (3260 runs)"


def test_rust_figures_is_empty_without_the_server_section() -> None:
    assert rust_figures(None) == {}
    assert rust_figures("/nonexistent/server.md") == {}
