"""gradbook release: jupytext sources -> nbgrader -> deterministic, leak-free notebooks."""

from __future__ import annotations

import re
import subprocess
import sys

import jupytext
import pytest

from graders import notebook as nbk
from graders.chapters import ChapterError, select
from graders.release import ReleaseRefused

from .conftest import CHAPTER_01, ROOT, write_chapter


def test_jupytext_round_trips_the_cell_metadata():
    nb = jupytext.read(CHAPTER_01, fmt="py:percent")
    again = jupytext.reads(jupytext.writes(nb, fmt="py:percent"), fmt="py:percent")
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    assert [c.metadata.get("nbgrader") for c in again.cells] == meta
    assert [c.metadata.get("gradbook") for c in again.cells] == [
        c.metadata.get("gradbook") for c in nb.cells]
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]
    assert {"grade_id": "central-difference", "solution": True} in meta


def test_load_source_completes_nbgrader_metadata():
    nb = nbk.load_source(CHAPTER_01)
    by_id = {nbk.grade_id(c): nbk.nbgrader(c) for c in nb.cells if nbk.grade_id(c)}
    assert by_id["central-difference"] == {
        "grade": False, "grade_id": "central-difference", "locked": False,
        "schema_version": 3, "solution": True, "task": False}
    assert by_id["central-difference-check"]["locked"] is True
    assert by_id["central-difference-check"]["points"] == 2


def test_release_cells(mini_release):
    source, rel = mini_release
    cells = {nbk.grade_id(c): c.source for c in rel.cells if nbk.grade_id(c)}
    assert cells["central-difference"] == (
        "def central_difference(f, x, h=1e-5):\n    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert cells["central-difference-check"] == "check.central_difference(central_difference)"
    assert cells["quiz-answers"] == 'answers = {"q1": None}'  # the per-cell empty stub
    assert cells["quiz-q1"] == "# Graded quiz, question 1."
    for i, cell in enumerate(rel.cells):
        assert re.fullmatch(r"c[0-9a-f]{8}(-\d+)?", cell.id) or cell.id == nbk.grade_id(cell)
        assert cell.id == source.cells[i].id
    assert rel.metadata == {"kernelspec": nbk.KERNELSPEC, "language_info": nbk.LANGUAGE_INFO}


def _gradbook(root, *args):
    return subprocess.run([sys.executable, "-m", "graders", "--root", str(root), *args],
                          capture_output=True, text=True, timeout=300)


def test_release_command_is_deterministic_and_leaves_nbgrader_files(tmp_path, mini_text):
    write_chapter(tmp_path, mini_text)
    first = _gradbook(tmp_path, "release")
    assert first.returncode == 0, first.stderr
    assert "course/99-tiny.ipynb: written" in first.stdout
    out = tmp_path / "course" / "99-tiny.ipynb"
    data = out.read_bytes()
    second = _gradbook(tmp_path, "release", "99")
    assert second.returncode == 0, second.stderr
    assert "course/99-tiny.ipynb: unchanged" in second.stdout
    assert out.read_bytes() == data
    build = tmp_path / "build" / "nbgrader"
    assert (build / "nbgrader_config.py").exists()
    assert (build / "source" / "99-tiny" / "99-tiny.ipynb").exists()
    assert (build / "release" / "99-tiny" / "99-tiny.ipynb").exists()
    assert not (build / "gradebook.db").exists()  # the release's gradebook is thrown away
    from graders.cli import main

    assert main(["--root", str(tmp_path), "validate"]) == 0


def test_release_refuses_a_leak_and_writes_nothing(tmp_path, mini_text):
    # an author "helpfully" puts the key into the answers cell's stub
    leaky = mini_text.replace('gradbook={"quiz": "answers", "stub": ""}',
                              'gradbook={"quiz": "answers", "stub": "answers = {\\"q1\\": \\"a\\"}"}')
    assert leaky != mini_text
    write_chapter(tmp_path, leaky)
    result = _gradbook(tmp_path, "release")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Release refused; nothing was written" in result.stderr
    assert "only the solutions or hidden tests have: 'answers = {\"q1\": \"a\"}'" in result.stderr
    assert not (tmp_path / "course" / "99-tiny.ipynb").exists()


def test_release_refused_carries_the_problems():
    from graders.validate import Problem

    error = ReleaseRefused([Problem("99-tiny", "cell 3", "a leak")])
    assert str(error) == "99-tiny: cell 3: a leak" and error.problems[0].where == "cell 3"


def test_chapter_selection():
    assert [c.name for c in select(ROOT, ["01"])] == ["01-why-gradients"]
    assert [c.name for c in select(ROOT, ["solutions/01-why-gradients.py"])] == ["01-why-gradients"]
    with pytest.raises(ChapterError, match="no chapter .42.; the chapters are: .*01-why-gradients"):
        select(ROOT, ["42"])
