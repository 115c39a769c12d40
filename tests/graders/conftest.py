"""Fixtures for the toolchain tests: a small chapter that follows the anatomy, its variants,
and chapter 01's reference solution as a notebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import notebook as nbk
from graders.chapters import Chapter

# The check tests' shared helpers (_check_helpers.py) assert: have pytest rewrite their asserts as
# it does the tests', so that a failure shows the values compared.
pytest.register_assert_rewrite("tests.graders._check_helpers")

ROOT = Path(__file__).resolve().parents[2]
CHAPTER_01 = ROOT / "solutions" / "01-why-gradients.py"

# A whole chapter in miniature: one exercise, its check, both quizzes, "your engine".
MINI = '''\
# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 99 · A tiny chapter

# %%
from graders import quiz
from graders.checks import ch01 as check

# %% [markdown]
# ### Exercise
#
# Engine piece: `central_difference`

# %% nbgrader={"grade_id": "central-difference", "solution": true} gradbook={"piece": "central_difference"}
def central_difference(f, x, h=1e-5):
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


# %% nbgrader={"grade_id": "central-difference-check", "grade": true, "points": 2} gradbook={"checks": "central_difference"}
check.central_difference(central_difference)
### BEGIN HIDDEN TESTS
assert abs(central_difference(lambda t: t * t * t, 1.0, 0.5) - 3.25) < 1e-12
### END HIDDEN TESTS

# %% [markdown]
# ## Practice quiz

# %%
quiz.practice([{"q": "1 + 1?", "choices": ["1", "2"], "answer": 1, "explain": "Two."}])

# %% [markdown]
# ## Graded quiz
#
# **q1.** 2 + 2? a) 4  b) 5

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
answers = {"q1": None}
### BEGIN SOLUTION
answers = {"q1": "a"}
### END SOLUTION

# %% nbgrader={"grade_id": "quiz-q1", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 1.
### BEGIN HIDDEN TESTS
assert str(answers["q1"]).strip().lower() == "a", "q1"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
'''


def write_chapter(folder: Path, text: str, name: str = "99-tiny") -> Chapter:
    """A chapter source ``solutions/<name>.py`` under ``folder``."""
    path = Path(folder) / "solutions" / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Chapter(path)


@pytest.fixture
def mini_text() -> str:
    return MINI


@pytest.fixture(scope="session")
def mini_release(tmp_path_factory):
    """(source notebook, normalised release) of the mini chapter, through nbgrader."""
    from graders.release import build_release

    tmp = tmp_path_factory.mktemp("mini")
    chapter = write_chapter(tmp, MINI)
    return build_release(chapter, tmp / "build", tmp / "gradebook.db")


@pytest.fixture(scope="session")
def reference_01(tmp_path_factory) -> Path:
    """Chapter 01's reference solution (its source) as a notebook file."""
    path = tmp_path_factory.mktemp("reference") / "01-why-gradients.ipynb"
    path.write_bytes(nbk.to_bytes(nbk.load_source(CHAPTER_01)))
    return path
