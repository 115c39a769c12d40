"""Every chapter: its release is current, valid and leak-free; its reference solution runs,
passes its checks, scores full marks and drives `gradbook my-engine`; its blank release
scores zero."""

from __future__ import annotations

import subprocess
import sys

import pytest

from graders import notebook as nbk
from graders.check import PASS, format_table, notes_of, rows_of
from graders.nullcheck import null_check, report
from graders.release import release
from graders.validate import validate_chapter

from .conftest import CHAPTERS, ROOT

IDS = [c.name for c in CHAPTERS]


def test_there_are_chapters():
    assert CHAPTERS, f"no chapter sources in {ROOT / 'solutions'}"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """Every chapter released afresh into a temporary course folder."""
    tmp = tmp_path_factory.mktemp("regenerated")
    release(CHAPTERS, tmp / "course", tmp / "build")
    return tmp


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_course_is_not_stale(chapter, regenerated):
    committed = chapter.release_path(ROOT / "course")
    assert committed.exists(), f"{committed} is missing: run `gradbook release`"
    fresh = chapter.release_path(regenerated / "course").read_bytes()
    assert committed.read_bytes() == fresh, (
        f"{committed.relative_to(ROOT)} differs from what {chapter.source.relative_to(ROOT)} "
        f"gives: run `gradbook release {chapter.number}`")
    build = regenerated / "build"
    for tree in ("source", "release"):
        assert (build / tree / chapter.name / f"{chapter.name}.ipynb").exists()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_release_is_valid(chapter):
    released = nbk.read(chapter.release_path(ROOT / "course"))
    problems = validate_chapter(chapter.name, nbk.load_source(chapter.source), released)
    assert problems == [], "\n".join(map(str, problems))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_null_checks(chapter, tmp_path):
    result = null_check(chapter, tmp_path)
    assert result.ok, report(result)
    assert len(result.expected) >= 2
    assert all(score == 0 for score, _ in result.blank.values())
    assert all(score == most > 0 for score, most in result.reference.values())


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_reference_runs_top_to_bottom_and_passes_its_checks(chapter, executed_reference):
    executed = executed_reference(chapter)
    errors = [(i, o.get("ename"), o.get("evalue", "")[:200]) for i, c in enumerate(executed.cells)
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    rows = rows_of(executed)
    assert rows and all(r.verdict == PASS for r in rows), format_table(rows)
    assert notes_of(executed) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_my_engine_on_the_reference_passes_every_piece(chapter, reference_notebook):
    """The engine's tests for each piece run against the chapter's reference solution."""
    path = reference_notebook(chapter)
    pieces = [nbk.piece_of(c) for _, c in nbk.exercises(nbk.read(path))]
    result = subprocess.run([sys.executable, "-m", "graders", "my-engine", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    n = len(pieces)
    assert f"Your engine: {n} of {n} pieces are yours, {n} of them pass." in result.stdout
    for piece in pieces:
        row = next(line for line in result.stdout.splitlines() if line.startswith(piece + " "))
        assert row.split()[2] == "pass", result.stdout
