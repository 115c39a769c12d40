"""nbgrader, driven from Python in a course folder that the toolchain owns (never the
instructor's): ``generate_assignment`` for releases, ``autograde`` for the null checks.

Layout of a course folder (nbgrader's)::

    nbgrader_config.py                  written here; ``nbgrader ...`` run in the folder uses it
    source/<chapter>/<chapter>.ipynb    the instructor version
    release/<chapter>/<chapter>.ipynb   the student version
    submitted/<student>/<chapter>/...   (null checks only)
    autograded/<student>/<chapter>/...  (null checks only)
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import sys
import warnings
from pathlib import Path

from nbgrader.preprocessors import ClearSolutions as _NbgraderClearSolutions

from . import notebook as nbk
from .kernel import pinned_kernel

COURSE_ID = "gradbook"
CELL_TIMEOUT_S = 120


class NbgraderFailed(RuntimeError):
    """nbgrader reported an error; the message carries its log."""


class ClearSolutions(_NbgraderClearSolutions):
    """nbgrader's ClearSolutions, plus a per-cell stub: ``gradbook={"stub": "..."}``.

    The graded quiz's answer cell uses ``"stub": ""``: the key is removed and nothing is put
    in its place, so the student sees the blank ``answers = {...}`` that precedes it.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        stub = nbk.gradbook(cell).get("stub")
        if stub is None or cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, cell_index)
        if stub == "":
            cell.source = "\n".join(
                line for line in _drop_regions(cell.source.split("\n"))
            )
            return cell, resources
        saved = self.code_stub
        self.code_stub = {**saved, resources["language"]: stub}
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.code_stub = saved


def _drop_regions(lines):
    inside = False
    for line in lines:
        if "BEGIN SOLUTION" in line:
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            yield line


def _preprocessors():
    from nbgrader.converters import GenerateAssignment

    return [ClearSolutions if p is _NbgraderClearSolutions else p
            for p in GenerateAssignment.class_traits()["preprocessors"].default()]


def config(root: Path, db_path: Path):
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = f"sqlite:///{db_path}"
    c.GenerateAssignment.preprocessors = _preprocessors()
    c.Execute.timeout = CELL_TIMEOUT_S
    return c


CONFIG_FILE = '''\
# Written by `gradbook release`: nbgrader's settings for this generated course folder.
# The chapters' sources are solutions/NN-topic.py; edit those, then run `gradbook release`.
import os

from graders.nbgrader_course import config

c = get_config()  # noqa: F821
here = os.path.dirname(os.path.abspath(__file__))
c.merge(config(here, os.path.join(here, "gradebook.db")))
'''


def write_config(root: Path) -> None:
    Path(root).mkdir(parents=True, exist_ok=True)
    (Path(root) / "nbgrader_config.py").write_text(CONFIG_FILE, encoding="utf-8")


@contextlib.contextmanager
def _nbgrader_env():
    """nbgrader's gradebook runs the ``alembic`` program: make this interpreter's scripts
    findable, and capture nbgrader's log (shown only when it fails)."""
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old_path])
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.INFO)
    loggers = [logging.getLogger(n) for n in ("traitlets", "NbGraderAPI")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            # nbgrader 0.9's gradebook trips SQLAlchemy 2's autoflush warnings; harmless here
            warnings.filterwarnings("ignore", module="nbgrader")
            warnings.filterwarnings("ignore", message=".*not in session.*")
            yield buffer
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        os.environ["PATH"] = old_path


def _run(app, what: str) -> None:
    with _nbgrader_env() as log:
        app.log.setLevel(logging.INFO)
        try:
            app.start()
        except Exception as exc:  # nbgrader raises its own and others; all mean "failed"
            raise NbgraderFailed(f"nbgrader {what} failed: {exc}\n{log.getvalue()}") from exc


def generate(root: Path, db_path: Path, name: str, source_nb) -> Path:
    """Put ``source_nb`` in ``source/`` and run ``generate_assignment``; the release's path."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    src = Path(root) / "source" / name
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    (src / f"{name}.ipynb").write_bytes(nbk.to_bytes(source_nb))
    c = config(root, db_path)
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id = name
    app = GenerateAssignment(coursedir=coursedir, config=c)
    app.force = True
    _run(app, f"generate_assignment {name}")
    return Path(root) / "release" / name / f"{name}.ipynb"


def autograde(root: Path, db_path: Path, name: str, student: str, submission_nb) -> dict:
    """Autograde ``submission_nb`` as ``student``: {grade_id: (score, max_score)}.

    ``generate`` must have run for ``name`` in the same course folder and gradebook.
    """
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    sub = Path(root) / "submitted" / student / name
    sub.mkdir(parents=True, exist_ok=True)
    (sub / f"{name}.ipynb").write_bytes(nbk.to_bytes(submission_nb))
    c = config(root, db_path)
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id, coursedir.student_id = name, student
    app = Autograde(coursedir=coursedir, config=c)
    app.force, app.create_student = True, True
    with pinned_kernel():
        _run(app, f"autograde {name} for {student}")
    with _nbgrader_env(), Gradebook(c.CourseDirectory.db_url, COURSE_ID) as gb:
        submission = gb.find_submission_notebook(name, name, student)
        return {g.name: (float(g.score), float(g.max_score)) for g in submission.grades}
