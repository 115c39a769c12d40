"""The trusted grader's null checks, for every chapter that has observations: the reference
solution scores full marks and the blank release scores 0 on every graded cell. (Chapters
01-03 are graded in depth in test_grade.py; this keeps every other chapter's probes honest.)"""

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


@pytest.fixture(scope="module")
def null_checks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("null")
    jobs = []
    for chapter in _chapters():
        reference = folder / f"{chapter.name}.ipynb"
        reference.write_bytes(nbk.to_bytes(nbk.load_source(chapter.source)))
        for who, path in (("reference", reference),
                          ("blank", g.ROOT / "course" / f"{chapter.name}.ipynb")):
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
