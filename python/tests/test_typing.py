"""Static typing: the package and a sample program pass `mypy --strict`; a file of
deliberate misuse is rejected on every marked line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
