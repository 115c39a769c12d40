"""The ``gradbook grade``, ``gradbook feedback`` and ``gradbook export`` commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

GRADE_EXAMPLES = """\
examples:
  gradbook grade submissions/                       every chapter found, all cores
  gradbook grade submissions.zip --roster class.csv --out grading/
  gradbook grade submissions/ --chapter 01 --jobs 4 --force
  gradbook grade submissions/ --db postgresql://host/course   another gradebook database
  gradbook grade submissions/ --dask tcp://scheduler:8786     on a Dask cluster

Submissions: <student>/<chapter>.ipynb (or nbgrader's <student>/<chapter>/*.ipynb), or an LMS
zip. Results go to --out (journal.jsonl, gradebook.db); running again skips what is graded.
"""

FEEDBACK_EXAMPLES = """\
examples:
  gradbook feedback                      grading/feedback/<student>/<chapter>.html for all
  gradbook feedback --student alice --chapter 01
"""

EXPORT_EXAMPLES = """\
examples:
  gradbook export                                        grading/grades.csv
  gradbook export --due 2025-10-01T23:59 --penalty zero  late: no points
  gradbook export --due 01=2025-10-01T23:59 --due 02=2025-10-08T23:59 --penalty submarks
  gradbook export --penalty mycourse.plugins:HalfOff     your own nbgrader-style plugin
"""


def _out(args) -> Path:
    return Path(args.out).resolve()


def _grade(args) -> int:
    from .batch import Journal  # noqa: F401 (fail early when the package is broken)
    from .grading import grade_class, protections_line
    from .sandbox import Limits, SandboxUnavailable

    limits = Limits(cell_s=args.cell_timeout, notebook_s=args.timeout,
                    memory_mb=args.memory, cpu_s=int(args.timeout))
    executor = None
    if args.dask:
        try:
            from distributed import Client
        except ImportError:
            print("gradbook grade: --dask needs dask.distributed: pip install "
                  "'dask[distributed]'", file=sys.stderr)
            return 2
        executor = Client(args.dask)
    print(protections_line(), file=sys.stderr)
    try:
        summary = grade_class(args.root, Path(args.submissions), _out(args),
                              chapters=args.chapter or None, roster=args.roster, db_url=args.db,
                              jobs=args.jobs, force=args.force, executor=executor,
                              limits=limits, secret_file=args.secret)
    except SandboxUnavailable as exc:
        print(f"gradbook grade: {exc}", file=sys.stderr)
        return 2
    finally:
        if executor is not None:
            executor.close()
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    counts = ", ".join(f"{n} {o}" for o, n in sorted(summary.counts.items()))
    print(f"{len(summary.graded)} graded now, {len(summary.skipped)} already graded "
          f"(--force regrades), {len(summary.missing)} missing: {counts or 'nothing'}")
    review = [r for r in summary.graded + summary.skipped
              if r.outcome in ("tampered", "crashed", "error", "corrupt", "timeout", "memory")
              or any(f.startswith(("provenance:", "suspicious:")) for f in r.flags)]
    for r in sorted(review, key=lambda r: (r.student, r.chapter)):
        flags = "; ".join(f for f in r.flags if f.startswith(("provenance:", "suspicious:")))
        print(f"  review {r.student} {r.chapter}: {r.outcome}: {r.reason[:160]}"
              + (f" [{flags[:160]}]" if flags else ""))
    print(f"journal: {summary.out / 'journal.jsonl'}; gradebook: {summary.db_url}")
    return 0


def _feedback(args) -> int:
    from .batch import Journal
    from .feedback import write_all

    journal = Journal(_out(args) / "journal.jsonl")
    if not journal.path.exists():
        print(f"gradbook feedback: nothing graded in {_out(args)} (run `gradbook grade` "
              f"first, with the same --out)", file=sys.stderr)
        return 2
    chapters = [_chapter_name(args, c) for c in args.chapter] if args.chapter else None
    written = write_all(journal, Path(args.to or _out(args) / "feedback"),
                        args.student or None, chapters)
    print(f"{len(written)} feedback page(s) in {Path(args.to or _out(args) / 'feedback')}")
    return 0


def _chapter_name(args, name: str) -> str:
    from ..chapters import select

    return select(args.root, [name])[0].name


def _export(args) -> int:
    from ..chapters import all_chapters
    from .batch import Journal
    from .export import ExportError, export, parse_due
    from .gradebook import sqlite_url

    journal = Journal(_out(args) / "journal.jsonl")
    if not journal.path.exists():
        print(f"gradbook export: nothing graded in {_out(args)} (run `gradbook grade` first, "
              f"with the same --out)", file=sys.stderr)
        return 2
    db = args.db or (sqlite_url(_out(args) / "gradebook.db")
                     if (_out(args) / "gradebook.db").exists() else None)
    try:
        due = parse_due(args.due, [c.name for c in all_chapters(args.root)])
        rows = export(journal, Path(args.csv or _out(args) / "grades.csv"), due=due,
                      penalty=args.penalty, db_url=db)
    except ExportError as exc:
        print(f"gradbook export: {exc}", file=sys.stderr)
        return 2
    late = sum(1 for r in rows if float(r["seconds_late"]) > 0)
    print(f"{len(rows)} row(s), {late} late, in {Path(args.csv or _out(args) / 'grades.csv')}")
    return 0


def register(sub) -> None:
    """Add the three commands to ``gradbook``'s subparsers."""
    raw = argparse.RawDescriptionHelpFormatter
    s = sub.add_parser("grade", help="grade a class's submissions in a sandbox, into the "
                                     "gradebook", epilog=GRADE_EXAMPLES, formatter_class=raw)
    s.add_argument("submissions", help="a folder of <student>/<chapter>.ipynb, or an LMS zip")
    s.add_argument("--chapter", action="append", metavar="CHAPTER",
                   help="only this chapter (number or name; repeat for more)")
    s.add_argument("--roster", type=Path, help="CSV with a student id column (id, student_id "
                                               "or login), name, email: missing submissions "
                                               "are reported")
    s.add_argument("--out", default="grading", help="where results go (default: grading/)")
    s.add_argument("--db", help="the gradebook's SQLAlchemy URL (default: sqlite in --out)")
    s.add_argument("--jobs", type=int, default=None, help="parallel submissions (default: "
                                                          "all cores)")
    s.add_argument("--dask", metavar="SCHEDULER", help="run on this Dask scheduler instead")
    s.add_argument("--force", action="store_true", help="regrade what is graded already")
    s.add_argument("--timeout", type=float, default=300, help="seconds per notebook (300)")
    s.add_argument("--cell-timeout", type=float, default=60, help="seconds per cell (60)")
    s.add_argument("--memory", type=int, default=2048, help="MiB of memory per notebook (2048)")
    s.add_argument("--secret", type=Path, help="the course secret file (default: "
                                               "<out>/.secret, made on first use)")
    s.set_defaults(run=_grade)

    s = sub.add_parser("feedback", help="an HTML page per student and chapter, from the "
                                        "graded results", epilog=FEEDBACK_EXAMPLES,
                       formatter_class=raw)
    s.add_argument("--out", default="grading", help="the --out of `gradbook grade`")
    s.add_argument("--to", help="where the pages go (default: <out>/feedback)")
    s.add_argument("--student", action="append", help="only this student (repeat for more)")
    s.add_argument("--chapter", action="append", help="only this chapter (repeat for more)")
    s.set_defaults(run=_feedback)

    s = sub.add_parser("export", help="grades.csv with late penalties, one row per student "
                                      "and chapter", epilog=EXPORT_EXAMPLES,
                       formatter_class=raw)
    s.add_argument("--out", default="grading", help="the --out of `gradbook grade`")
    s.add_argument("--csv", help="where the CSV goes (default: <out>/grades.csv)")
    s.add_argument("--db", help="the gradebook to store due dates and penalties in (default: "
                                "<out>/gradebook.db when it exists)")
    s.add_argument("--due", action="append", default=[], metavar="[CHAPTER=]WHEN",
                   help="the due date, UTC unless it has an offset (repeat per chapter)")
    s.add_argument("--penalty", default="none", help="none (default), zero, submarks or "
                                                     "module:Class")
    s.set_defaults(run=_export)
