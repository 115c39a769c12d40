"""The validator accepts a chapter that follows the anatomy and rejects each way of breaking it."""

from __future__ import annotations

import copy
import json

import pytest

from graders import notebook as nbk
from graders.validate import validate_chapter

from .conftest import ROOT, write_chapter


def _problems(tmp_path, text, release):
    chapter = write_chapter(tmp_path, text)
    return [str(p) for p in validate_chapter("99-tiny", nbk.load_source(chapter.source), release)]


def _mentions(problems, *words):
    return [p for p in problems if all(w in p for w in words)]


def test_the_mini_chapter_is_valid(tmp_path, mini_text, mini_release):
    assert _problems(tmp_path, mini_text, mini_release[1]) == []


def test_duplicate_grade_id(tmp_path, mini_text, mini_release):
    text = mini_text.replace('"grade_id": "quiz-q1"', '"grade_id": "central-difference"')
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "'central-difference'", "used twice"), problems


def test_misspelt_marker(tmp_path, mini_text, mini_release):
    text = mini_text.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTON\n", 1)
    assert text != mini_text
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "'### BEGIN SOLUTON' is not a marker"), problems


def test_grade_id_not_kebab_case(tmp_path, mini_text, mini_release):
    text = mini_text.replace('"grade_id": "quiz-q1"', '"grade_id": "Quiz_Q1"')
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "'Quiz_Q1'", "kebab-case"), problems


@pytest.mark.parametrize("points", ['', ', "points": 0', ', "points": "2"'])
def test_graded_cell_without_points(tmp_path, mini_text, mini_release, points):
    text = mini_text.replace(', "points": 2}', points + "}")
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "central-difference-check", "points > 0"), problems


def test_exercise_without_its_visible_check(tmp_path, mini_text, mini_release):
    text = mini_text.replace('gradbook={"checks": "central_difference"}', "")
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "not followed by its visible check"), problems


def test_check_without_hidden_tests(tmp_path, mini_text, mini_release):
    text = mini_text.replace(
        "### BEGIN HIDDEN TESTS\nassert abs(central_difference(lambda t: t * t * t, 1.0, 0.5)"
        " - 3.25) < 1e-12\n### END HIDDEN TESTS\n", "")
    assert text != mini_text
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "no ### BEGIN HIDDEN TESTS"), problems


def test_unknown_piece(tmp_path, mini_text, mini_release):
    text = mini_text.replace('"piece": "central_difference"', '"piece": "central_diff"')
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "'central_diff'", "unknown"), problems


def test_missing_sections(tmp_path, mini_text, mini_release):
    text = mini_text.replace("# ## Your engine", "# ## Outro").replace(
        "# ## Practice quiz", "# ## Warm-up")
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "'Your engine'") and _mentions(problems, "'Practice quiz'"), problems


def test_quiz_key_visible_to_students(tmp_path, mini_text, mini_release):
    text = mini_text.replace("# Graded quiz, question 1.\n", "assert answers['q1']\n")
    problems = _problems(tmp_path, text, mini_release[1])
    assert _mentions(problems, "quiz-q1", "hidden"), problems


def _tampered(release, index, extra):
    bad = copy.deepcopy(release)
    bad.cells[index].source += "\n" + extra
    return bad


def _cell(release, grade_id):
    return next(i for i, c in enumerate(release.cells) if nbk.grade_id(c) == grade_id)


def test_solution_leaking_into_the_release(tmp_path, mini_text, mini_release):
    release = mini_release[1]
    bad = _tampered(release, _cell(release, "central-difference"),
                    "    return (f(x + h) - f(x - h)) / (2 * h)")
    problems = _problems(tmp_path, mini_text, bad)
    assert _mentions(problems, "release", "only the solutions or hidden tests have"), problems


def test_hidden_test_leaking_into_the_release(tmp_path, mini_text, mini_release):
    release = mini_release[1]
    demo = next(i for i, c in enumerate(release.cells) if "quiz.practice" in c.source)
    bad = _tampered(release, demo, 'assert str(answers["q1"]).strip().lower() == "a", "q1"')
    problems = _problems(tmp_path, mini_text, bad)
    assert _mentions(problems, "only the solutions or hidden tests have"), problems


def test_marker_in_the_release(tmp_path, mini_text, mini_release):
    release = mini_release[1]
    bad = _tampered(release, 1, "### BEGIN SOLUTION")
    problems = _problems(tmp_path, mini_text, bad)
    assert _mentions(problems, "marker", "BEGIN SOLUTION"), problems


def test_outputs_in_the_release(tmp_path, mini_text, mini_release):
    bad = copy.deepcopy(mini_release[1])
    code = next(c for c in bad.cells if c.cell_type == "code")
    code.outputs = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    problems = _problems(tmp_path, mini_text, bad)
    assert _mentions(problems, "stored outputs"), problems


def test_the_real_release_holds_no_key_of_chapter_01():
    # (every chapter's release is validated in tests/course/test_chapters.py)
    """Belt and braces on the committed file itself: the quiz key and the solutions are absent."""
    text = (ROOT / "course" / "01-why-gradients.ipynb").read_text(encoding="utf-8")
    cells = json.loads(text)["cells"]
    sources = ["".join(c["source"]) for c in cells]
    assert not any("BEGIN" in s for s in sources)
    assert not any('answers = {"q1": "b"' in s or '== "b"' in s for s in sources)
    assert not any("(f(x + h) - f(x - h)) / (2 * h)" in s and "return" in s for s in sources
                   if "def central_difference" in s)
