"""The baseline parser must be correct, or its figures mean nothing."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zbench.sse_parser import Event, SseParser, parse_stream  # noqa: E402


def parse_all(pieces: list[bytes]) -> list[Event]:
    async def chunks():
        for p in pieces:
            yield p

    async def collect():
        return [e async for e in parse_stream(chunks())]

    return asyncio.run(collect())


def test_server_framing_with_comments():
    body = b': connected\n\nid: 1\nevent: text\ndata: {"content":"hi"}\n\n: ping\n\nid: 2\nevent: RunFinished\ndata: {"status":"COMPLETED"}\n\n'
    events = parse_all([body])
    assert events == [
        Event(data={"content": "hi"}, id="1", event="text"),
        Event(data={"status": "COMPLETED"}, id="2", event="RunFinished"),
    ]


def test_every_split_point_gives_the_same_events():
    body = 'id: 1\r\nevent: text\r\ndata: {"content":"é€😀"}\r\n\r\nid: 2\rdata: plain\rdata: two\r\rdata:no-space\n\n'.encode()
    expected = [
        Event(data={"content": "é€😀"}, id="1", event="text"),
        Event(data="plain\ntwo", id="2"),
        Event(data="no-space"),
    ]
    for cut in range(len(body) + 1):
        assert parse_all([body[:cut], body[cut:]]) == expected, cut


def test_unterminated_final_block_is_discarded_and_invalid_utf8_replaced():
    events = parse_all([b"data: \xff\n\n", b"id: 9\ndata: cut"])
    assert events == [Event(data="\ufffd")]


def test_field_rules():
    parser = SseParser()
    text = "retry: 5\nunknown: x\n\nid: a\x00b\ndata\n\nevent: e\n\n"
    events = list(parser.feed(text))
    assert events == [Event(data="", id=None), Event(data="", event="e")]


def test_data_that_is_not_json_stays_a_string():
    events = list(SseParser().feed("data: {not json\n\n"))
    assert events == [Event(data="{not json")]
    assert json.dumps(events[0].data) == '"{not json"'


def test_a_cr_at_the_very_end_still_ends_its_line():
    assert parse_all([b"data: x\r", b"\r"]) == [Event(data="x")]
