"""Read a student's notebook (untrusted bytes) and decide what the sandbox runs.

The notebook is parsed as plain JSON, size-capped, in a child process with a memory limit
(``_nbread``), without executing or trusting anything in it. Only the student's **exercise**
and **answers** cells are taken from it, matched by ``grade_id`` with the source's; setup
cells come from the source; graded and locked cells are never run at all (they are judged by
the grader), so deleting or editing them changes nothing: they are "restored", and the
submission is flagged. A ``grade_id`` that appears twice keeps its first cell, as nbgrader's
``DeduplicateIds`` does, and is flagged.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .chapter import ChapterSpec


class Corrupt(ValueError):
    """Not a notebook we can read; the message says why."""


@dataclass
class Plan:
    cells: list[dict]  # what the sandbox runs, in order
    flags: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # exercise/answers cells not found
    sources: dict[str, str] = field(default_factory=dict)  # grade_id -> the student's code


READ_MEMORY_MB = 1024  # the notebook reader's memory (a 100 MiB notebook needs ~300 MiB)


def read_cells(path: Path, max_bytes: int) -> tuple[list[dict], str | None]:
    """(cells, kernel name) of the notebook file at ``path``; raises Corrupt.

    The file is parsed by ``_nbread`` in a child process with a memory limit."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise Corrupt(f"the file is {size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} "
                      f"MiB limit")
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-m", "graders.grade._nbread", str(path), str(max_bytes),
             str(READ_MEMORY_MB)], capture_output=True, timeout=300, cwd="/",
            env={"LANG": "C.UTF-8"})
    except subprocess.TimeoutExpired:
        raise Corrupt("the notebook takes too long to read") from None
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = None
    if not isinstance(result, dict) or proc.returncode != 0:
        why = "the notebook expands to more memory than allowed" if proc.returncode else ""
        raise Corrupt(why or "the notebook could not be read")
    if "corrupt" in result:
        raise Corrupt(result["corrupt"])
    return result["cells"], result["kernel"]


def plan(spec: ChapterSpec, path: Path, max_bytes: int) -> Plan:
    """The cells to run for the student's notebook at ``path``; raises Corrupt."""
    cells, kernel = read_cells(path, max_bytes)
    by_id: dict[str, dict] = {}
    duplicates = []
    for cell in cells:
        gid = cell["grade_id"]
        if gid is None:
            continue
        if gid in by_id:
            duplicates.append(gid)
        else:
            by_id[gid] = cell
    result = Plan([])
    known = {c.id for c in spec.run} | {c.id for c in spec.graded} | set(spec.release)
    for gid in sorted(set(duplicates) & known):
        result.flags.append(f"duplicate grade_id {gid!r}: the first cell with it was graded")
    others = set(duplicates) - known
    if others:
        result.flags.append(f"{len(others)} grade_id(s) the chapter does not have appear "
                            f"more than once")
    if kernel not in (None, "python3"):
        result.flags.append(f"kernel changed to {str(kernel)[:40]!r} (ignored: graded with the "
                            f"course's Python)")
    for run in spec.run:
        if run.kind == "setup":
            result.cells.append({"id": run.id, "kind": "setup", "piece": None,
                                 "source": run.source})
            continue
        cell = by_id.get(run.id)
        if cell is None or cell["type"] != "code":
            result.missing.append(run.id)
            continue
        result.sources[run.id] = cell["source"]
        result.cells.append({"id": run.id, "kind": run.kind, "piece": run.piece,
                             "source": cell["source"]})
    tampered = []
    points = {g.id: g.points for g in spec.graded}
    for gid, released in sorted(spec.release.items()):
        if gid in spec.exercises or any(r.id == gid and r.kind == "answers" for r in spec.run):
            continue
        cell = by_id.get(gid)
        if cell is None:
            tampered.append(f"{gid} (deleted)")
        elif cell["source"].strip() != released.strip():
            tampered.append(f"{gid} (edited)")
        elif gid in points and cell["points"] != points[gid]:
            tampered.append(f"{gid} (points changed)")
    if tampered:
        result.flags.append("tampered cells restored: " + ", ".join(tampered))
    if result.missing:
        result.flags.append("cells missing (scored 0): " + ", ".join(result.missing))
    return result
