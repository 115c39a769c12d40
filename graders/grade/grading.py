"""``gradbook grade``: a class's submissions, graded, journaled and in the gradebook.

Everything the grader keeps lives in the output folder (``--out``, default ``grading/``):

    journal.jsonl   every result, appended as each submission finishes (the source of truth
                    for ``feedback`` and ``export``)
    gradebook.db    nbgrader's gradebook (unless ``--db`` names another database)
    .secret         the course secret the observation seeds are derived from (mode 0600)
    unpacked/       the notebooks of an LMS zip
    feedback/, grades.csv   written by ``gradbook feedback`` and ``gradbook export``

A submission already in the journal with the same bytes, graded by the same chapter source
and probes, is not graded again (``force`` regrades): running the command twice gives the
same gradebook, and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..chapters import ChapterError, all_chapters, select
from .batch import INSTRUCTOR_ONLY, Job, Journal, Progress, Result, grade_batch
from .sandbox import Limits, drop_uid, namespaces_available
from .submissions import SubmissionsError, discover, read_roster, unpack_zip


@dataclass
class Summary:
    graded: list[Result] = field(default_factory=list)  # graded in this run
    skipped: list[Result] = field(default_factory=list)  # already in the journal
    missing: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    db_url: str = ""
    out: Path = Path()

    @property
    def counts(self) -> Counter:
        return Counter(r.outcome for r in self.graded + self.skipped + self.missing)


def load_secret(path: Path) -> bytes:
    """The course secret at ``path``, made (32 random bytes, mode 0600) if it is not there."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def seed_for(secret: bytes, student: str, chapter: str) -> int:
    """The observation seed of (student, chapter): fixed for them, unknown without the
    secret."""
    digest = hmac.new(secret, f"{student}\0{chapter}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def grade_class(root: Path, submissions: Path, out: Path, *, chapters: list[str] | None = None,
                roster: Path | None = None, db_url: str | None = None, jobs: int | None = None,
                force: bool = False, executor=None, limits: Limits | None = None,
                secret_file: Path | None = None, progress: bool = True, stream=None,
                namespaces: bool | None = None, keep_uid: bool = False) -> Summary:
    from .chapter import load_spec
    from .gradebook import Book, register, split_name, sqlite_url

    root, out = Path(root).resolve(), Path(out).resolve()
    submissions = Path(submissions)
    if not submissions.exists():
        raise SubmissionsError(f"no such folder or zip: {submissions}")
    limits = limits or Limits()
    if not keep_uid:  # a machine that cannot sandbox as asked: say so once, up front
        drop_uid(namespaces_available() if namespaces is None else namespaces)
    out.mkdir(parents=True, exist_ok=True)
    secret_path = Path(secret_file) if secret_file else out / ".secret"
    secret = load_secret(secret_path)
    known = select(root, chapters) if chapters else all_chapters(root)
    names = [c.name for c in known]
    summary = Summary(db_url=db_url or sqlite_url(out / "gradebook.db"), out=out)
    if submissions.is_file():
        target = out / "unpacked" / submissions.stem
        shutil.rmtree(target, ignore_errors=True)
        summary.notes += unpack_zip(submissions, target, names)
        folder = target
    else:
        folder = submissions
    found, notes = discover(folder, names)
    summary.notes += notes
    students = read_roster(roster) if roster else {}
    # the chapters of this run: those named, else those anyone submitted
    graded_chapters = sorted(set(names) if chapters else {s.chapter for s in found})
    if not found and not (students and chapters):
        raise SubmissionsError(f"no submissions of {', '.join(names)} in {folder} (expected "
                               f"<student>/<chapter>.ipynb)")
    by_name = {c.name: c for c in known}
    specs = {name: load_spec(by_name[name], root / "course") for name in graded_chapters}

    hide = [str(root / p) for p in ("solutions", "build", "course", "tests", ".git")]
    hide += [str(folder.resolve()), str(out), str(secret_path.resolve())]
    if summary.db_url.startswith("sqlite:///"):
        hide.append(str(Path(summary.db_url[len("sqlite:///"):]).resolve().parent))
    journal = Journal(out / "journal.jsonl")
    previous = journal.read()
    todo = []
    for sub in found:
        old = previous.get((sub.student, sub.chapter))
        if (not force and old is not None and old.sha256 == sub.sha256
                and old.digest == specs[sub.chapter].digest and old.outcome != "error"):
            summary.skipped.append(old)
            continue
        todo.append(Job(sub.student, sub.chapter, str(sub.path.resolve()), str(root),
                        seed_for(secret, sub.student, sub.chapter), asdict(limits),
                        tuple(hide), sub.timestamp, sub.sha256,
                        students[sub.student].name if sub.student in students else "",
                        namespaces, keep_uid))
    submitted = {(s.student, s.chapter) for s in found}
    for sid, student in sorted(students.items()):
        for name in graded_chapters:
            if (sid, name) not in submitted:
                summary.missing.append(Result(sid, name, "missing", "no submission", 0.0,
                                              specs[name].max_score, [], name=student.name,
                                              digest=specs[name].digest))
    for name in graded_chapters:
        register(summary.db_url, name, by_name[name].source,
                 {g.id: g.points for g in specs[name].graded})

    def flag_roster(result: Result) -> None:
        if students and result.student not in students:
            result.flags.append("not on the roster")

    with Book(summary.db_url) as book:
        for sid, student in students.items():
            first, last = split_name(student.name)
            book.student(sid, first, last, student.email or None)

        def on_result(result: Result) -> None:
            try:
                book.write(result, review=_needs_review(result))
            except Exception as exc:  # journaled already: the next run writes it again
                book.gb.db.rollback()
                summary.notes.append(f"the gradebook did not take {result.student} "
                                     f"{result.chapter} ({type(exc).__name__}: {exc}); it is "
                                     f"in the journal, and the next run stores it")

        for result in summary.skipped:  # again: the gradebook may be new, or have missed it
            on_result(result)

        bar = Progress(len(todo), stream) if progress else None
        summary.graded = grade_batch(todo, workers=jobs, executor=executor, journal=None,
                                     on_result=_chain(flag_roster, journal.append, on_result),
                                     progress=bar)
    for result in summary.missing:
        old = previous.get((result.student, result.chapter))
        if old is None or old.outcome != "missing":
            journal.append(result)
    return summary


def _chain(*steps):
    def run(result):
        for step in steps:
            step(result)
    return run


def _needs_review(result: Result) -> bool:
    return any(f.startswith(INSTRUCTOR_ONLY) for f in result.flags) or result.outcome in (
        "tampered", "crashed", "error")


def protections_line() -> str:
    if namespaces_available():
        return ("sandbox: namespaces (no network, private read-only root, own process tree), "
                "a fresh unprivileged uid, resource limits")
    if os.geteuid() == 0:
        return ("sandbox: WITHOUT namespaces (network and files NOT isolated); unprivileged "
                "uid and resource limits only")
    return ("sandbox: WITHOUT namespaces and not root (network and files NOT isolated, runs "
            "as your user); resource limits and a private working folder only")


__all__ = ["ChapterError", "SubmissionsError", "Summary", "grade_class", "load_secret",
           "seed_for", "protections_line"]
