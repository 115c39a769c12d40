"""The validator: a chapter follows the anatomy, and its release gives nothing away.

Rules (each problem names the chapter, the cell and what to fix):

* every ``### BEGIN ...``/``### END ...`` line is exactly one of nbgrader's markers;
* every nbgrader cell has a ``grade_id``, in kebab-case, unique in the chapter;
* every graded cell has ``points`` > 0;
* every exercise (a solution cell naming its ``piece``) is followed, as the next code cell,
  by its visible check (a graded cell with ``"checks": piece``) holding hidden tests;
* every piece is one ``gradbook my-engine`` knows;
* the chapter has its sections: "Practice quiz", "Graded quiz" (an ``answers`` cell and key
  cells whose checks are all hidden) and "Your engine";
* the release has no outputs, no nbgrader markers, and no line that exists only inside a
  solution or hidden-test region of the source (a solution, a hidden test or a quiz key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import notebook as nbk

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SECTIONS = ("Practice quiz", "Graded quiz", "Your engine")
MIN_SECRET_LINE = 8  # shorter lines (")", "pass", "return") say nothing about a solution


@dataclass(frozen=True)
class Problem:
    chapter: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.chapter}: {self.where}: {self.message}"


def validate_chapter(name: str, source, release) -> list[Problem]:
    """Problems of one chapter: ``source`` from ``notebook.load_source``, ``release`` as written."""
    problems = []

    def add(where, message):
        problems.append(Problem(name, where, message))

    _check_markers(source, add)
    _check_ids_and_points(source, add)
    _check_exercises(source, add)
    _check_sections(source, add)
    _check_release(source, release, add)
    return problems


def _where(index, cell) -> str:
    gid = nbk.grade_id(cell)
    return f"cell {index}" + (f" ({gid})" if gid else "")


_MARKER_LIKE = re.compile(r"^\s*#+\s*(BEGIN|END)\b", re.IGNORECASE)
_KNOWN = (nbk.SOLUTION_BEGIN, nbk.SOLUTION_END, nbk.HIDDEN_BEGIN, nbk.HIDDEN_END,
          "### BEGIN MARK SCHEME", "### END MARK SCHEME")


def _check_markers(nb, add):
    """A misspelt marker ("### BEGIN SOLUTON") is not stripped by nbgrader: it would leak."""
    for i, cell in enumerate(nb.cells):
        for line in cell.source.splitlines():
            if _MARKER_LIKE.match(line) and line.strip() not in _KNOWN:
                add(_where(i, cell), f"{line.strip()!r} is not a marker nbgrader knows "
                                     f"({', '.join(_KNOWN)})")


def _check_ids_and_points(nb, add):
    seen = {}
    for i, cell in enumerate(nb.cells):
        meta = nbk.nbgrader(cell)
        if not meta:
            continue
        gid = meta.get("grade_id")
        if not gid:
            add(_where(i, cell), "an nbgrader cell without a grade_id")
            continue
        if not KEBAB.match(gid):
            add(_where(i, cell), f"grade_id {gid!r} is not kebab-case (like 'central-difference')")
        if gid in seen:
            add(_where(i, cell), f"grade_id {gid!r} is used twice (first in cell {seen[gid]})")
        seen.setdefault(gid, i)
        if meta.get("grade"):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                add(_where(i, cell), f"a graded cell needs points > 0, has {points!r}")


def _check_exercises(nb, add):
    from .myengine.pieces import PIECES

    found = nbk.exercises(nb)
    if not found:
        add("chapter", "no exercise (a solution cell with gradbook={\"piece\": ...})")
    for i, cell in found:
        piece = nbk.piece_of(cell)
        if piece not in PIECES:
            add(_where(i, cell), f"piece {piece!r} is unknown to `gradbook my-engine` "
                                 f"(graders/myengine/pieces.py)")
        if nbk.SOLUTION_BEGIN not in cell.source:
            add(_where(i, cell), "an exercise without a ### BEGIN SOLUTION region")
        check = nbk.check_cell_of(nb, i)
        if check is None:
            add(_where(i, cell), f"exercise {piece!r} is not followed by its visible check (the "
                                 f"next code cell, graded, gradbook={{\"checks\": \"{piece}\"}})")
            continue
        j, check_cell = check
        if not nbk.outside_regions(check_cell.source).strip():
            add(_where(j, check_cell), "the visible check shows no code to the student")
        if nbk.HIDDEN_BEGIN not in check_cell.source:
            add(_where(j, check_cell), "the visible check has no ### BEGIN HIDDEN TESTS region")


def _check_sections(nb, add):
    heads = [h.lower() for h in nbk.headings(nb)]
    for section in SECTIONS:
        if not any(h.startswith(section.lower()) for h in heads):
            add("chapter", f"no {section!r} section (a markdown heading starting with it)")
    answers = [c for c in nb.cells if nbk.gradbook(c).get("quiz") == "answers"]
    keys = [(i, c) for i, c in enumerate(nb.cells) if nbk.gradbook(c).get("quiz") == "key"]
    if len(answers) != 1 or not nbk.is_solution(answers[0]) or "answers" not in answers[0].source:
        add("chapter", "the graded quiz needs one solution cell with "
                       "gradbook={\"quiz\": \"answers\"} that sets `answers`")
    if not keys:
        add("chapter", "the graded quiz has no key cell (graded, gradbook={\"quiz\": \"key\"})")
    for i, cell in keys:
        visible = [ln for ln in nbk.outside_regions(cell.source).splitlines() if ln.strip()]
        if not nbk.is_graded(cell) or any(not ln.lstrip().startswith("#") for ln in visible):
            add(_where(i, cell), "a quiz key cell must be graded and keep all its code hidden")


def _secret_lines(nb) -> set[str]:
    secret, public = set(), set()
    for cell in nb.cells:
        src = cell.source
        pairs = ((nbk.SOLUTION_BEGIN, nbk.SOLUTION_END), (nbk.HIDDEN_BEGIN, nbk.HIDDEN_END))
        for begin, end in pairs:
            for region in nbk.regions(src, begin, end):
                secret |= {ln.strip() for ln in region.splitlines()}
        public |= {ln.strip() for ln in nbk.outside_regions(src).splitlines()}
    return {ln for ln in secret - public if len(ln) >= MIN_SECRET_LINE}


def _check_release(source, release, add):
    secret = _secret_lines(source)
    for i, cell in enumerate(release.cells):
        for marker in nbk.MARKERS:
            if marker in cell.source:
                add(f"release {_where(i, cell)}", f"the release contains the marker {marker!r}")
        for line in cell.source.splitlines():
            if line.strip() in secret:
                add(f"release {_where(i, cell)}",
                    f"the release shows a line that only the solutions or hidden tests have: "
                    f"{line.strip()!r}")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            add(f"release {_where(i, cell)}", "the release has stored outputs")
    src_ids = [nbk.grade_id(c) for c in source.cells if nbk.grade_id(c)]
    rel_ids = [nbk.grade_id(c) for c in release.cells if nbk.grade_id(c)]
    if src_ids != rel_ids:
        add("release", f"graded cells differ from the source: {rel_ids} != {src_ids} "
                       f"(run `gradbook release`)")
