"""Results into nbgrader's gradebook (``nbgrader.api.Gradebook``: SQLite by default, any
SQLAlchemy URL), so that formgrader and ``nbgrader export`` work on them.

* A chapter is registered exactly as ``nbgrader generate_assignment`` registers it: nbgrader's
  own preprocessors (with our ``ClearSolutions``) run on the chapter's source in a throwaway
  course folder, writing the assignment, notebook, grade, solution and source cells (with
  their checksums) to this gradebook.
* A result becomes a submission (with its timestamp) whose graded cells get ``auto_score``,
  as nbgrader's ``SaveAutoGrades`` writes it: a manual score a grader gave is kept, and such a
  cell, a cell graded by hand, and every cell of a submission flagged for review are marked
  ``needs_manual_grade`` so they show up in formgrader.
* Late penalties (``export``) go to ``SubmittedNotebook.late_submission_penalty``, as
  nbgrader's ``AssignLatePenalties`` writes them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .. import notebook as nbk
from ..nbgrader_course import COURSE_ID, _nbgrader_env, _preprocessors, _run, config
from . import GradingError


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


class GradebookError(GradingError, RuntimeError):
    """The gradebook cannot take these results; the message says why and what to do."""


def _registered(url: str, name: str, graded: dict[str, float]) -> bool:
    """True when chapter ``name`` is registered with exactly these graded cells. Raises
    GradebookError when it is registered differently and already has submissions."""
    from nbgrader.api import Gradebook, MissingEntry

    with _nbgrader_env(), Gradebook(url, COURSE_ID) as gb:
        try:
            notebook = gb.find_notebook(name, name)
        except MissingEntry:
            return False
        cells = {c.name: float(c.max_score) for c in notebook.grade_cells}
        if cells == graded:
            return True
        if notebook.submissions:
            raise GradebookError(
                f"{name} is in the gradebook with other graded cells ({sorted(cells)}) and "
                f"already has submissions: grade into a new gradebook (--db or --out)")
        gb.remove_assignment(name)
        return False


def register(url: str, name: str, source: Path, graded: dict[str, float]) -> None:
    """Register chapter ``name`` (its source ``solutions/<name>.py``, whose graded cells and
    points are ``graded``) as generate_assignment does, in the gradebook at ``url``. Nothing
    happens when it is registered already."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    if _registered(url, name, graded):
        return

    with tempfile.TemporaryDirectory(prefix="gradbook-register-") as tmp:
        src = Path(tmp) / "source" / name
        src.mkdir(parents=True)
        (src / f"{name}.ipynb").write_bytes(nbk.to_bytes(nbk.load_source(source)))
        c = config(Path(tmp), Path(tmp) / "unused.db")
        c.CourseDirectory.db_url = url
        c.GenerateAssignment.preprocessors = _preprocessors()
        coursedir = CourseDirectory(config=c)
        coursedir.assignment_id = name
        app = GenerateAssignment(coursedir=coursedir, config=c)
        app.force = True
        _run(app, f"generate_assignment {name} (registering it in the gradebook)")


def split_name(name: str) -> tuple[str | None, str | None]:
    parts = name.split()
    if not parts:
        return None, None
    return (" ".join(parts[:-1]) or None), parts[-1]


class Book:
    """An open gradebook; use as a context manager."""

    def __init__(self, url: str):
        self.url = url
        self._env = None
        self.gb = None

    def __enter__(self) -> Book:
        from nbgrader.api import Gradebook

        self._env = _nbgrader_env()
        self._env.__enter__()
        self.gb = Gradebook(self.url, COURSE_ID)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.gb.close()
        finally:
            self._env.__exit__(*exc)

    def student(self, student_id: str, first_name=None, last_name=None, email=None) -> None:
        info = {k: v for k, v in (("first_name", first_name), ("last_name", last_name),
                                  ("email", email)) if v}
        self.gb.update_or_create_student(student_id, **info)

    def write(self, result, review: bool = False) -> None:
        """Store ``result`` (a ``batch.Result``). ``review``: mark its cells for a person."""
        if result.outcome in ("missing", "error") or not result.cells:
            return
        first, last = split_name(result.name or "")
        self.student(result.student, first, last)
        kwargs = {"timestamp": result.timestamp} if result.timestamp else {}
        self.gb.update_or_create_submission(result.chapter, result.student, **kwargs)
        for cell in result.cells:
            grade = self.gb.find_grade(cell["id"], result.chapter, result.chapter,
                                       result.student)
            grade.auto_score = float(cell["score"])
            grade.needs_manual_grade = bool(grade.manual_score is not None
                                            or cell["kind"] == "manual" or review)
        self.gb.db.commit()

    def late(self, chapter: str, student: str, duedate, penalty: float | None) -> None:
        assignment = self.gb.find_assignment(chapter)
        if duedate is not None and assignment.duedate != duedate:
            assignment.duedate = duedate
        notebook = self.gb.find_submission_notebook(chapter, chapter, student)
        notebook.late_submission_penalty = penalty
        self.gb.db.commit()
