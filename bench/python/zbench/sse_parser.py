"""A pure-Python SSE parser: the baseline the SDK's stream is compared to.

It follows the parser rules the SDK follows (`docs/streaming.md`): incremental UTF-8 decoding,
lines ending at CRLF, LF or CR, comments, field splitting, dispatch on an empty line, JSON
data parsed when valid, and an unterminated final block discarded at end of input.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import Any, AsyncIterable, AsyncIterator, Iterator

# A complete line: text without CR/LF, then its terminator.
_LINE = re.compile(r"([^\r\n]*)(\r\n|\n|\r)")


@dataclass(slots=True)
class Event:
    data: Any
    id: str | None = None
    event: str | None = None


class SseParser:
    """Feed it decoded text piece by piece; it yields events as blocks complete."""

    __slots__ = ("_pending", "_data", "_event", "_id", "_seen_field")

    def __init__(self) -> None:
        self._pending = ""
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._seen_field = False

    def feed(self, text: str, final: bool = False) -> Iterator[Event]:
        buffer = self._pending + text if self._pending else text
        # A CR at the very end may be the first half of a CRLF split across pieces.
        hold_cr = not final and buffer.endswith("\r")
        if hold_cr:
            buffer = buffer[:-1]
        end = 0
        for match in _LINE.finditer(buffer):
            end = match.end()
            event = self._line(match.group(1))
            if event is not None:
                yield event
        rest = buffer[end:]
        if hold_cr:
            # The held CR ends the rest as a line unless an LF follows in the next piece.
            rest += "\r"
        self._pending = rest

    def _line(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return None
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._seen_field = True
        elif name == "event":
            self._event = value
            self._seen_field = True
        elif name == "id":
            if "\x00" not in value:
                self._id = value
            self._seen_field = True
        return None

    def _dispatch(self) -> Event | None:
        if not self._seen_field:
            return None
        text = "\n".join(self._data)
        data: Any
        try:
            data = json.loads(text) if text else ""
        except ValueError:
            data = text
        event = Event(data=data, id=self._id, event=self._event)
        self._data = []
        self._event = None
        self._id = None
        self._seen_field = False
        return event


async def parse_stream(chunks: AsyncIterable[bytes]) -> AsyncIterator[Event]:
    """Events of a network byte stream (an unterminated final block is dropped)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    parser = SseParser()
    async for chunk in chunks:
        for event in parser.feed(decoder.decode(chunk)):
            yield event
    for event in parser.feed(decoder.decode(b"", final=True), final=True):
        yield event
