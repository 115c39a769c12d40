"""The trusted grader on every chapter that has observations: the reference solution scores
full marks, the blank release scores 0 on every graded cell, and a partly wrong submission
loses exactly the cells it deserves to. (Chapters 01-03 are graded in depth, attacks and
tolerances included, in test_grade.py; this keeps every other chapter's probes honest.)"""

from __future__ import annotations

from dataclasses import asdict

import pytest

from graders import notebook as nbk
from graders.chapters import all_chapters
from graders.grade.batch import Job, grade_batch
from graders.grade.sandbox import Limits

from . import _grading as g

LIMITS = Limits(cell_s=60, notebook_s=120, memory_mb=1024)


def _chapters():
    return [c for c in all_chapters(g.ROOT)
            if (g.ROOT / "graders" / "probes" / f"ch{c.number}.py").exists()
            and (g.ROOT / "course" / f"{c.name}.ipynb").exists()
            and c.number not in ("01", "02", "03")]


def _partly_wrong(chapter, stubs):
    """The reference with its last exercise left as the release's stub (no later exercise
    builds on it) and a wrong answer to q1; returns the notebook and the graded cells that
    must fail."""
    nb = nbk.load_source(chapter.source)
    last, cell = nbk.exercises(nb)[-1]
    cell.source = stubs[nbk.grade_id(cell)]
    must_fail = {nbk.grade_id(nbk.check_cell_of(nb, last)[1])}
    answers = next(c for c in nb.cells if nbk.gradbook(c).get("quiz") == "answers")
    answers.source += '\nanswers["q1"] = "not a letter"\n'
    must_fail |= {nbk.grade_id(c) for c in nb.cells
                  if nbk.gradbook(c).get("quiz") == "key" and '["q1"]' in c.source}
    return nb, must_fail


MUST_FAIL = {}


@pytest.fixture(scope="module")
def null_checks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("null")
    jobs = []
    for chapter in _chapters():
        reference = folder / f"{chapter.name}.ipynb"
        reference.write_bytes(nbk.to_bytes(nbk.load_source(chapter.source)))
        blank = g.ROOT / "course" / f"{chapter.name}.ipynb"
        stubs = {nbk.grade_id(c): c.source for c in nbk.read(blank).cells if nbk.grade_id(c)}
        partly, MUST_FAIL[chapter.name] = _partly_wrong(chapter, stubs)
        partial = folder / f"{chapter.name}-partial.ipynb"
        partial.write_bytes(nbk.to_bytes(partly))
        for who, path in (("reference", reference), ("blank", blank), ("partial", partial)):
            jobs.append(Job(who, chapter.name, str(path), str(g.ROOT), seed=2024,
                            limits=asdict(LIMITS)))
    return {(r.student, r.chapter): r for r in grade_batch(jobs, workers=2)}


@pytest.mark.parametrize("chapter", [c.name for c in _chapters()])
def test_reference_full_marks_blank_zero(null_checks, chapter):
    reference, blank = null_checks[("reference", chapter)], null_checks[("blank", chapter)]
    failing = [(c["id"], c["problems"][:2]) for c in reference.cells if c["status"] != "pass"]
    assert reference.outcome == "graded" and not failing, (reference.reason, failing)
    assert reference.score == reference.max_score > 0
    passing = [c["id"] for c in blank.cells if c["score"] != 0]
    assert blank.score == 0 and not passing, passing


@pytest.mark.parametrize("chapter", [c.name for c in _chapters()])
def test_a_partly_wrong_submission_loses_exactly_those_cells(null_checks, chapter):
    result = null_checks[("partial", chapter)]
    failing = {c["id"] for c in result.cells if c["status"] != "pass"}
    assert len(MUST_FAIL[chapter]) == 2 and failing == MUST_FAIL[chapter], (result.reason, failing)
    assert result.outcome == "partial"
    lost = sum(c["points"] for c in result.cells if c["id"] in MUST_FAIL[chapter])
    assert result.score == result.max_score - lost > 0
