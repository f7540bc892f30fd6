"""The generated `zaby.types`: runtime shape of the TypedDicts and what a type checker
accepts and rejects (the module is written by `zaby-codegen` from the type catalogue)."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import pytest

import zaby.types as t

ROOT = Path(__file__).resolve().parent.parent


def test_every_exported_name_exists_and_resolves() -> None:
    assert len(t.__all__) > 150
    for name in t.__all__:
        obj = getattr(t, name)
        if isinstance(obj, type):  # a TypedDict: every forward reference resolves
            typing.get_type_hints(obj)


def test_required_keys_follow_the_catalogue() -> None:
    assert t.AgentInput.__required_keys__ == {"slug", "name"}
    assert "description" in t.AgentInput.__optional_keys__
    assert t.AgentUpdateInput.__required_keys__ == frozenset()
    assert {"id", "status", "createdAt"} <= t.Agent.__required_keys__
    assert "updatedAt" in t.Agent.__optional_keys__  # added by the contract (‡): may be absent
    assert t.UsageReport.__required_keys__ == {"agentId", "from", "to"}  # functional form (`from`)
    assert t.ListResponse.__required_keys__ == {"items"}


def test_enums_are_literals_and_open_ones_accept_strings() -> None:
    assert typing.get_args(t.AgentStatus) == ("DRAFT", "ACTIVE", "PAUSED", "DISABLED")
    literal, other = typing.get_args(t.SignalType)
    assert "user_feedback" in typing.get_args(literal) and other is str


def test_stored_run_events_are_a_union_tagged_by_event() -> None:
    members = typing.get_args(t.RunEvent)
    assert t.TextRunEvent in members and len(members) == len(typing.get_args(t.RunEventName)) == 8
    assert t.TextRunEvent.__required_keys__ == {"id", "event", "data"}
    assert typing.get_type_hints(t.ToolCallRunEvent)["data"] is t.ToolCall
    assert t.RunEventPage.__required_keys__ >= {"items"}


def test_typed_dicts_are_plain_dicts_at_runtime() -> None:
    agent_input = t.AgentInput(slug="helper", name="Helper")
    assert agent_input == {"slug": "helper", "name": "Helper"}
    assert t.ListResponse[t.Agent] is not None


CHECKED = '''
from zaby.types import AgentInput, ListResponse, Agent, RunFinished, AgentUpdateInput

ok: AgentInput = {"slug": "a", "name": "A", "tags": ["x"], "category": None}
update: AgentUpdateInput = {"description": None, "status": "PAUSED"}
def first(page: ListResponse[Agent]) -> str:
    return page["items"][0]["id"]
def output(ev: RunFinished) -> str | None:
    return ev["finalOutput"]
missing: AgentInput = {"slug": "a"}  # E: missing required key
wrong_enum: AgentUpdateInput = {"status": "GONE"}  # E: not a known status
wrong_type: AgentInput = {"slug": "a", "name": "A", "tags": "x"}  # E: tags is a list
'''


def test_a_type_checker_accepts_good_and_rejects_bad_inputs(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    sample = tmp_path / "sample_types.py"
    sample.write_text(CHECKED)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(sample)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = CHECKED.splitlines()
    marked = {i + 1 for i, line in enumerate(lines) if "# E:" in line}
    reported = {
        int(line.split(":")[1]) for line in result.stdout.splitlines() if line.startswith(str(sample)) and ": error:" in line
    }
    assert reported == marked, result.stdout
