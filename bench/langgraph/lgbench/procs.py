"""CPU time and memory of a server's whole process tree, read from /proc: a server may
hand work to child processes, and all of it is the server's cost."""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:  # the process ended between listing and reading
        return None
    # The fields after the command name (which may hold spaces and parentheses).
    return stat.rsplit(")", 1)[1].split()


def tree(root: int) -> list[int]:
    """`root` and every live descendant of it."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(int(name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(root: int) -> float:
    """User + system CPU time the tree has used so far (utime and stime, stat(5)
    fields 14 and 15; 0-based 11 and 12 after the command name)."""
    total = 0
    for pid in tree(root):
        fields = _stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def rss_bytes(root: int) -> int:
    """Resident set size of the tree now (stat(5) field 24, in pages)."""
    total = 0
    for pid in tree(root):
        fields = _stat_fields(pid)
        if fields:
            total += int(fields[21]) * _PAGE
    return total
