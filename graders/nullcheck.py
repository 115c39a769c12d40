"""The two null checks of a chapter, with nbgrader's autograde:

* the blank release (what a student gets) scores 0 on every graded cell;
* the reference solution (the chapter's source) scores full marks on every graded cell.

Each run uses its own nbgrader course folder and SQLite gradebook under ``workdir``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import notebook as nbk
from .chapters import Chapter
from .nbgrader_course import autograde
from .release import build_release


@dataclass
class NullCheck:
    chapter: str
    blank: dict  # grade_id -> (score, max_score)
    reference: dict
    expected: list[str]  # the graded cells of the source
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def null_check(chapter: Chapter, workdir: Path) -> NullCheck:
    root = Path(workdir) / chapter.name
    if root.exists():
        shutil.rmtree(root)
    db = root / "gradebook.db"
    source, release_nb = build_release(chapter, root, db)
    blank = autograde(root, db, chapter.name, "blank", release_nb)
    reference = autograde(root, db, chapter.name, "reference", source)
    expected = [nbk.grade_id(c) for c in source.cells if nbk.is_graded(c)]
    result = NullCheck(chapter.name, blank, reference, expected)
    for name, scores in (("blank release", blank), ("reference solution", reference)):
        if sorted(scores) != sorted(expected):
            result.problems.append(f"{name}: graded cells {sorted(scores)} != {sorted(expected)}")
    for gid, (score, _) in sorted(blank.items()):
        if score != 0:
            result.problems.append(f"blank release scores {score:g} on {gid} (must be 0)")
    for gid, (score, most) in sorted(reference.items()):
        if score != most:
            result.problems.append(f"reference solution scores {score:g} of {most:g} on {gid}")
    return result


def report(result: NullCheck) -> str:
    lines = [f"{result.chapter}: " + ("null checks pass" if result.ok else "null checks FAIL")]
    width = max((len(g) for g in result.expected), default=8)
    lines.append(f"  {'graded cell'.ljust(width)}  blank  reference  points")
    for gid in result.expected:
        b = result.blank.get(gid, (float("nan"), 0))[0]
        r, most = result.reference.get(gid, (float("nan"), 0))
        lines.append(f"  {gid.ljust(width)}  {b:5g}  {r:9g}  {most:6g}")
    lines += [f"  problem: {p}" for p in result.problems]
    return "\n".join(lines)
