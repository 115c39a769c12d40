"""Trusted grading of a class's notebooks: ``gradbook grade``, ``feedback``, ``export``.

Student code runs in a sandbox (``sandbox``, ``_inside``); only plain JSON comes back, and the
verdict (``verdict``) compares it, in this process, with what the reference solution gives
(``chapter``). See graders/README.md for how to use it and what is protected.

Modules: ``submissions`` (find them: folder, LMS zip, roster), ``plan`` (read a notebook,
choose the cells to run), ``sandbox`` and ``_inside`` (isolation and limits), ``verdict``
(schema check, compare, scores), ``provenance`` (static review), ``batch`` (one submission,
many in parallel, journal, progress), ``gradebook`` (nbgrader's database), ``grading`` (a
class), ``feedback``, ``export``, ``cli``.

This package module stays import-light: the sandbox imports it before anything else.
"""


class GradingError(Exception):
    """Input the grader cannot use (a folder, a roster, a date, a gradebook); the message says
    what is wrong and how to fix it."""


def __getattr__(name):  # grade_submission, Job, Result, grade_batch, grade_class, ...
    if name in ("grade_submission", "grade_batch", "Job", "Result", "Journal"):
        from . import batch

        return getattr(batch, name)
    if name == "grade_class":
        from .grading import grade_class

        return grade_class
    raise AttributeError(name)
