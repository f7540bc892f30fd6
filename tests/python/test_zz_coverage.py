"""The coverage check: every endpoint of the SDK's table was called by this run
through the SDK and answered by the server (any status below 500)."""

from __future__ import annotations

import pytest
from zaby import _native

from _recording import RECORDED, endpoint_of, exercised, routes


@pytest.mark.coverage_check
def test_every_endpoint_was_exercised() -> None:
    table = routes()
    assert len(table) == 135, f"the endpoint table has {len(table)} rows, expected 135"
    assert [r.id for r in table] == [f"E{i}" for i in range(1, 136)]
    unmatched = sorted({f"{r.method} {r.path}" for r in RECORDED if endpoint_of(r.method, r.path, table) is None})
    assert not unmatched, f"requests that match no endpoint of the table: {unmatched}"
    done = exercised(table)
    missing = [r.id for r in table if r.id not in done]
    assert not missing, f"{len(missing)} endpoint(s) not exercised against the live server: {', '.join(missing)}"


def test_matching_prefers_literal_segments() -> None:
    table = routes()
    base = "/api/v1/provisioning/agentic-os/agents"
    assert endpoint_of("GET", f"{base}/approvals", table) == "E37"
    assert endpoint_of("GET", f"{base}/usage", table) == "E40"
    assert endpoint_of("GET", f"{base}/agt-1", table) == "E4"
    assert endpoint_of("GET", f"{base}/agt-1/playground/runtime-tokens", table) == "E15"
    assert endpoint_of("POST", f"{base}/agt-1/playground/runtime-tokens", table) == "E14"
    assert endpoint_of("GET", "/api/v1/agent-runtime/runs/r-1/aiui", table) == "E121"
    assert endpoint_of("GET", "/nowhere", table) is None
    assert len(_native.endpoints()) == len(table)
