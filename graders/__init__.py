"""gradbook's instructor toolchain and the students' self-checks.

    gradbook release [CHAPTER...]     solutions/NN-topic.py -> course/NN-topic.ipynb
    gradbook validate [CHAPTER...]    the chapter anatomy and a leak-free release
    gradbook null-check [CHAPTER...]  blank release scores 0, reference solution full marks
    gradbook check NOTEBOOK           run a notebook's visible checks, one row per exercise
    gradbook my-engine [NOTEBOOK...]  run the engine's tests against your own pieces

Notebooks import ``graders.checks`` (the visible checks) and ``graders.quiz`` (quizzes).
The cell conventions are described in ``solutions/README.md``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
