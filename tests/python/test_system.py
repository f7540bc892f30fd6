"""System: the health endpoint (E1), the installed package, and the README's
Python example run as written against the live server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import zaby
from zaby import Zaby

from _servers import Servers

README = Path(__file__).resolve().parents[2] / "README.md"


async def test_health_reports_the_database_of_this_mode(z: Zaby, servers: Servers) -> None:
    health = await z.health.check()
    assert health["status"] == "ok"
    assert health["database"]["kind"] == servers.mode
    assert health["version"] == zaby.__version__


def test_the_suite_uses_the_installed_wheel() -> None:
    location = Path(zaby.__file__).resolve()
    assert "site-packages" in location.parts, location
    assert Path(sys.prefix).resolve() in location.parents, (location, sys.prefix)
    assert not location.is_relative_to(README.parent / "python"), location


def readme_python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)


async def test_readme_python_examples_run_against_the_live_server(servers: Servers, z: Zaby, tmp_path: Path) -> None:
    """The README's two Python blocks (the sync client, then the async one), unchanged."""
    blocks = readme_python_blocks()
    assert len(blocks) == 2, f"expected two ```python blocks in README.md (sync, async), found {len(blocks)}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ZABY_API_ORIGIN": servers.a.origin,
        "ZABY_API_KEY": servers.api_key,
    }
    for index, (block, slug) in enumerate(zip(blocks, ("script-helper", "helper"))):
        script = tmp_path / f"readme_example_{index}.py"
        script.write_text(block)
        # The venv's interpreter, in a directory of its own: the default transport, the installed package.
        done = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"README example {slug} failed:\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        lines = done.stdout.strip().splitlines()
        events = [line.split(" ", 1)[0] for line in lines]
        assert events[0] == "RunStarted", done.stdout
        assert "text" in events, done.stdout
        assert events[-1] == "RunFinished", done.stdout
        assert "'status': 'COMPLETED'" in lines[-1], done.stdout
        assert "You said: hello" in lines[-1], done.stdout

        # What the example did is on the server: the agent, deployed, with the run.
        agent = next(a for a in (await z.agents.list({"q": slug}))["items"] if a["slug"] == slug)
        assert agent["status"] == "ACTIVE" and len(agent["activeDeployments"]) == 1
        usage = await z.usage.get_agent_usage({"agentId": agent["id"]})
        assert (usage["totals"]["runs"], usage["totals"]["completedRuns"]) == (1, 1)


async def test_lifecycle_example_runs_against_the_live_server(servers: Servers, tmp_path: Path) -> None:
    """`examples/python/lifecycle.py` (what `make demo` runs), unchanged, on the installed wheel."""
    example = README.parent / "examples" / "python" / "lifecycle.py"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ZABY_API_ORIGIN": servers.a.origin,
        "ZABY_API_KEY": servers.api_key,
    }
    done = subprocess.run(
        [sys.executable, str(example)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"lifecycle example failed:\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    out = done.stdout
    for line in [
        "→ deployment: PENDING",
        "→ deployment: ACTIVE",
        "    tool call sum {'numbers': [30, 5]}",
        "    result    {'sum': 35}",
        "    tool call get_weather {'city': 'Lyon'}",
        "    result    {'city': 'Lyon', 'forecast': 'sunny', 'celsius': 21}",
        "→ done",
    ]:
        assert line in out, f"{line!r} not in the example's output:\n{out}"
    assert out.count("    finished  COMPLETED") == 3, out
    assert "    citation  chunk Customer handbook" in out, out
    assert "→ usage: 3 runs, 2 tool calls" in out, out
