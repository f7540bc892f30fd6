"""Static typing: the package and a sample program pass `mypy --strict`; a file of
deliberate misuse is rejected on every marked line. Typed stream events are checked by
mypy and pyright both: narrowing by ``ev.event`` passes, and each misuse is reported
with the error code it names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ROOT / "typing_checks"

pytest.importorskip("mypy")


def mypy(*targets: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *map(str, targets)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_package_and_sample_pass_strict() -> None:
    result = mypy(ROOT / "zaby", CHECKS / "sample.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_misuse_is_rejected_on_every_marked_line() -> None:
    source = (CHECKS / "misuse.py").read_text().splitlines()
    marked = {i + 1 for i, line in enumerate(source) if "# E:" in line}
    result = mypy(CHECKS / "misuse.py")
    assert result.returncode != 0
    reported = {int(m) for m in re.findall(r"misuse\.py:(\d+): error", result.stdout)}
    assert marked and marked <= reported, (sorted(marked - reported), result.stdout)


# `# E: mypy[<code>] pyright[<rule>]` on a line of events_misuse.py.
EXPECTED = re.compile(r"# E: mypy\[([\w-]+)\] pyright\[(\w+)\]")


def expected_errors() -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    by_mypy, by_pyright = set(), set()
    for number, line in enumerate((CHECKS / "events_misuse.py").read_text().splitlines(), start=1):
        if m := EXPECTED.search(line):
            by_mypy.add((number, m.group(1)))
            by_pyright.add((number, m.group(2)))
    assert len(by_mypy) >= 5
    return by_mypy, by_pyright


def pyright(*targets: Path) -> tuple[int, list[dict[str, Any]]]:
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable, *map(str, targets)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    return result.returncode, [d for d in report["generalDiagnostics"] if d["severity"] == "error"]


def test_stream_events_narrow_under_mypy_strict() -> None:
    result = mypy(CHECKS / "events.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_stream_event_misuse_is_reported_by_mypy() -> None:
    by_mypy, _ = expected_errors()
    result = mypy(CHECKS / "events_misuse.py")
    reported = {(int(n), code) for n, code in re.findall(r"events_misuse\.py:(\d+): error: .*\[([\w-]+)\]$", result.stdout, re.M)}
    assert reported == by_mypy, result.stdout


def test_stream_events_narrow_under_pyright() -> None:
    pytest.importorskip("pyright")
    status, errors = pyright(CHECKS / "events.py")
    assert (status, errors) == (0, [])


def test_stream_event_misuse_is_reported_by_pyright() -> None:
    pytest.importorskip("pyright")
    _, by_pyright = expected_errors()
    status, errors = pyright(CHECKS / "events_misuse.py")
    reported = {(d["range"]["start"]["line"] + 1, d.get("rule", "")) for d in errors}
    assert status == 1 and reported == by_pyright, errors
