"""Every endpoint of the table (E1–E135), through every SDK binding, against MockTransport:
method, path (with encoded parameters), query and body. The rows come from the core's
endpoint table, so a new row is tested without touching this file."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from zaby import MockTransport, Zaby, ZabyRuntime, _native

ENDPOINTS: list[dict[str, Any]] = _native.endpoints()
ROWS = [(e, b) for e in ENDPOINTS for b in e["bindings"]]

QUERY = {"limit": 2, "status": "A B", "active": True, "skip": None, "tag": ["x", "y"]}
QUERY_STRING = "limit=2&status=A+B&active=true&tag=x&tag=y"


def encoded(value: str) -> str:
    return quote(value, safe="-_.~!'()*")


def param_value(name: str) -> str:
    # Spaces, slashes and colons must be percent-encoded in the path.
    return f"{name} v/1:ü"


def fill(template: str, values: list[str]) -> str:
    it = iter(values)
    return re.sub(r"\{[^}]+\}", lambda _m: encoded(next(it)), template)


def make_clients(transport: MockTransport) -> dict[str, Any]:
    return {
        "zaby": Zaby(api_key="k", access_token="t", transport=transport),
        "runtime": ZabyRuntime(token="rt", transport=transport),
    }


def test_the_table_has_all_135_endpoints() -> None:
    ids = [e["id"] for e in ENDPOINTS]
    assert ids == [f"E{n}" for n in range(1, 136)]


@pytest.mark.parametrize("endpoint,binding", ROWS, ids=[f"{e['id']}-{b['client']}.{b['method']}" for e, b in ROWS])
async def test_binding_sends_the_endpoint(endpoint: dict[str, Any], binding: dict[str, Any]) -> None:
    transport = MockTransport()
    owner = make_clients(transport)[binding["owner"]]
    sub = getattr(owner, binding["attr"])
    params = [param_value(p) for p in binding["params"]]
    rule = binding["input"]
    method = endpoint["method"]
    answer = {"endpoint": endpoint["id"]}

    body: Any = None
    args: list[Any] = list(params)
    path_values = list(params)
    query_string = ""
    if rule == "query":
        args.append(QUERY)
        query_string = QUERY_STRING
    elif rule in ("body", "body_opt", "body_or_empty", "given"):
        body = {"name": "x", "count": 1, "nested": {"a": [1, None]}}
        args.append(body)
    elif rule == "body_moving":
        field = binding["moved_field"]
        args.append({field: "app 1", "deploymentId": "d"})
        body = {"deploymentId": "d"}
        path_values = ["app 1", *params]
    elif rule == "omitted":
        pass  # the no-input form of a shared method
    elif rule == "stream":
        args.append({"afterSeq": 3})
        query_string = "afterSeq=3"
    else:
        assert rule == "none", rule

    path = fill(endpoint["path"], path_values)
    expected = path + (f"?{query_string}" if query_string else "")

    if rule == "stream":
        transport.set_sse(method, path, [{"id": "1", "event": "RunFinished", "data": {"status": "COMPLETED"}}])
        events = [ev async for ev in getattr(sub, binding["method"])(*args)]
        assert [e.event for e in events] == ["RunFinished"]
    else:
        transport.set_response(method, path, 200, answer)
        assert await getattr(sub, binding["method"])(*args) == answer

    (sent,) = transport.requests
    assert (sent.method, sent.path) == (method, expected)
    assert sent.json_body == body
    assert ("content-type" in sent.headers) == (body is not None)
    assert transport.pending == 0


BODY_OPTIONAL = [(e, b) for e, b in ROWS if b["input"] in ("body_opt", "body_or_empty")]


@pytest.mark.parametrize("endpoint,binding", BODY_OPTIONAL, ids=[f"{e['id']}-{b['method']}" for e, b in BODY_OPTIONAL])
async def test_optional_bodies_when_omitted(endpoint: dict[str, Any], binding: dict[str, Any]) -> None:
    transport = MockTransport()
    sub = getattr(make_clients(transport)[binding["owner"]], binding["attr"])
    params = [f"p{i}" for i, _ in enumerate(binding["params"])]
    path = fill(endpoint["path"], params)
    transport.set_response(endpoint["method"], path, 200, {})
    await getattr(sub, binding["method"])(*params)
    expected = {} if binding["input"] == "body_or_empty" else None
    assert transport.requests[0].json_body == expected


ITERS = [(e, b) for e, b in ROWS if b["iter"]]


@pytest.mark.parametrize("endpoint,binding", ITERS, ids=[f"{e['id']}-{b['iter']}" for e, b in ITERS])
async def test_iterator_twins_walk_pages(endpoint: dict[str, Any], binding: dict[str, Any]) -> None:
    transport = MockTransport()
    sub = getattr(make_clients(transport)[binding["owner"]], binding["attr"])
    params = [f"p{i}" for i, _ in enumerate(binding["params"])]
    path = fill(endpoint["path"], params)
    transport.set_response("GET", path, 200, {"items": [{"n": 1}, {"n": 2}], "nextCursor": "c2"})
    transport.set_response("GET", path + "?limit=2&cursor=c2", 200, {"items": [{"n": 3}], "nextCursor": None})
    items = [i async for i in getattr(sub, binding["iter"])(*params, {"limit": 2})]
    assert items == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert [r.path for r in transport.requests] == [path + "?limit=2", path + "?limit=2&cursor=c2"]


def test_every_client_attribute_exists() -> None:
    z = Zaby(api_key="k")
    r = ZabyRuntime(token="t")
    for _id, owner, attr, cls in _native.clients():
        obj = getattr(z if owner == "zaby" else r, attr)
        assert type(obj).__name__ == cls
