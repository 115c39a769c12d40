"""The ``gradbook`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .chapters import ChapterError, find_root, select
from .grade import GradingError

EPILOG = "Chapters are named by number (01), name (01-why-gradients) or path."
# What the commands need beyond the engine (the `test` and `course` extras).
_COURSE_TOOLS = {"nbgrader", "jupytext", "nbclient", "nbformat", "ipykernel", "traitlets"}


def _release(args) -> int:
    from .release import ReleaseRefused, release

    chapters = select(args.root, args.chapters)
    try:
        done = release(chapters, args.root / "course", args.root / "build" / "nbgrader")
    except ReleaseRefused as exc:
        print("Release refused; nothing was written:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    for item in done:
        state = "written" if item.changed else "unchanged"
        print(f"{item.path.relative_to(args.root)}: {state}")
    print(f"nbgrader's course folder: {(args.root / 'build' / 'nbgrader').relative_to(args.root)}")
    return 0


def _validate(args) -> int:
    from . import notebook as nbk
    from .validate import Problem, validate_chapter

    problems = []
    chapters = select(args.root, args.chapters)
    for chapter in chapters:
        released = chapter.release_path(args.root / "course")
        if not released.exists():
            problems.append(Problem(chapter.name, "release", f"{released} is missing "
                                                              f"(run `gradbook release`)"))
            continue
        source = nbk.load_source(chapter.source)
        problems += validate_chapter(chapter.name, source, nbk.read(released))
    for problem in problems:
        print(problem)
    print(f"{len(chapters)} chapter(s) checked, {len(problems)} problem(s).")
    return 1 if problems else 0


def _null_check(args) -> int:
    from .nullcheck import null_check, report

    failed = False
    for chapter in select(args.root, args.chapters):
        result = null_check(chapter, args.root / "build" / "null-check")
        print(report(result))
        failed |= not result.ok
    return 1 if failed else 0


def _check(args) -> int:
    from .check import report, run_checks

    path = Path(args.notebook)
    if not path.exists():
        print(f"gradbook check: no such notebook: {path}", file=sys.stderr)
        return 2
    rows, notes = run_checks(path, timeout=args.timeout)
    print(report(path, rows, notes))
    return 0 if rows and all(r.verdict == "pass" for r in rows) else 1


def _my_engine(args) -> int:
    from . import myengine

    notebooks = [Path(p) for p in args.notebooks] or sorted((args.root / "course").glob("*.ipynb"))
    missing = [p for p in notebooks if not p.exists()]
    if missing:
        print(f"gradbook my-engine: no such notebook: {missing[0]}", file=sys.stderr)
        return 2
    results = myengine.run(args.root, notebooks)
    if not results:
        print("No exercises found in " + ", ".join(map(str, notebooks)))
        return 1
    print(myengine.report(results))
    return 0 if all(r.status == "pass" for r in results) else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gradbook", description="The gradbook course toolchain.",
                                epilog=EPILOG)
    p.add_argument("--root", type=Path, default=None,
                   help="the project folder (default: found from the working directory)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("release", help="solutions/NN-topic.py -> course/NN-topic.ipynb",
                       epilog=EPILOG)
    s.add_argument("chapters", nargs="*", metavar="CHAPTER")
    s.set_defaults(run=_release)

    s = sub.add_parser("validate", help="check the chapter anatomy and that releases leak "
                                        "nothing", epilog=EPILOG)
    s.add_argument("chapters", nargs="*", metavar="CHAPTER")
    s.set_defaults(run=_validate)

    s = sub.add_parser("null-check", help="autograde the blank release (must score 0) and the "
                                          "reference solution (must score full marks)",
                       epilog=EPILOG)
    s.add_argument("chapters", nargs="*", metavar="CHAPTER")
    s.set_defaults(run=_null_check)

    s = sub.add_parser("check", help="run a notebook and report its visible checks")
    s.add_argument("notebook", metavar="NOTEBOOK")
    s.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    s.set_defaults(run=_check)

    s = sub.add_parser("my-engine", help="test your pieces: their checks and the engine's tests")
    s.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                   help="default: every notebook in course/")
    s.set_defaults(run=_my_engine)

    from .grade.cli import register as _grading_commands

    _grading_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.root = (args.root or find_root()).resolve()
    try:
        return args.run(args)
    except ChapterError as exc:
        print(f"gradbook {args.command}: {exc}", file=sys.stderr)
        return 2
    except GradingError as exc:  # submissions, roster, due date, gradebook, sandbox
        print(f"gradbook {args.command}: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if exc.name not in _COURSE_TOOLS:
            raise
        print(f"gradbook {args.command} needs {exc.name}, which is not installed: "
              f"`make test` (or pip install 'gradbook[test]') installs it.", file=sys.stderr)
        return 2
