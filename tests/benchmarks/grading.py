"""``make bench`` (grading): how fast ``gradbook grade`` grades a class, against plain
``nbgrader autograde`` on the same submissions, measured in the same run.

    python -m tests.benchmarks.grading              40 submissions of chapter 01
    python -m tests.benchmarks.grading -n 100 --jobs 8
    python -m tests.benchmarks.grading --quick      2 submissions: checks, times little

The submissions are generated: the reference solution, a partly wrong one and the blank
release, in turn. Each tool's time covers everything it needs from a fresh gradebook:
``gradbook grade`` registers the chapter and grades (in parallel, ``--jobs``);
nbgrader runs ``generate_assignment`` then ``autograde`` for every student (one after the
other: nbgrader grades sequentially, each notebook on its own Jupyter kernel). Both must
give the same scores on these honest submissions; the benchmark fails otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "01-why-gradients"


def make_class(folder: Path, n: int) -> dict[str, dict]:
    """``n`` submissions under ``folder``; student -> its notebook."""
    from graders.chapters import Chapter
    from graders.grade.chapter import load_spec
    from tests.graders import _grading as g

    key = load_spec(Chapter(ROOT / "solutions" / f"{CHAPTER}.py")).key
    kinds = [
        {"central-difference": g.CD_OK, "numerical-gradient": g.NG_OK,
         "quiz-answers": g.answers(key)},
        {"central-difference": g.CD_OK, "numerical-gradient": g.NG_ONE_SIDED,
         "quiz-answers": g.answers(key, right=("q1",))},
        {},
    ]
    notebooks = {}
    for i in range(n):
        student = f"student{i:03d}"
        notebooks[student] = g.notebook(CHAPTER, kinds[i % len(kinds)])
        g.write(folder, student, CHAPTER, notebooks[student])
    return notebooks


def ours(subs: Path, work: Path, jobs: int) -> tuple[float, dict]:
    from graders.grade.grading import grade_class

    started = time.perf_counter()
    summary = grade_class(ROOT, subs, work / "out", jobs=jobs, progress=False)
    seconds = time.perf_counter() - started
    return seconds, {r.student: r.score for r in summary.graded}


def nbgrader_autograde(notebooks: dict, work: Path) -> tuple[float, dict]:
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from graders import notebook as nbk
    from graders.kernel import pinned_kernel
    from graders.nbgrader_course import (
        COURSE_ID,
        _nbgrader_env,
        _run,
        config,
        generate,
        write_config,
    )

    course, db = work / "nbgrader", work / "nbgrader" / "gradebook.db"
    write_config(course)
    for student, nb in notebooks.items():
        folder = course / "submitted" / student / CHAPTER
        folder.mkdir(parents=True)
        (folder / f"{CHAPTER}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    started = time.perf_counter()
    generate(course, db, CHAPTER, nbk.load_source(ROOT / "solutions" / f"{CHAPTER}.py"))
    c = config(course, db)
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id, coursedir.student_id = CHAPTER, "*"
    app = Autograde(coursedir=coursedir, config=c)
    app.force, app.create_student = True, True
    with pinned_kernel():
        _run(app, f"autograde {CHAPTER}")
    seconds = time.perf_counter() - started
    scores = {}
    with _nbgrader_env(), Gradebook(c.CourseDirectory.db_url, COURSE_ID) as gb:
        for student in notebooks:
            scores[student] = float(gb.find_submission(CHAPTER, student).score)
    return seconds, scores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.grading",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=40, help="submissions (default 40)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(),
                        help="gradbook grade's parallel submissions (default: all cores)")
    parser.add_argument("--quick", action="store_true", help="2 submissions: check, time little")
    parser.add_argument("--json", default="build/bench-grading.json", help="results file")
    args = parser.parse_args(argv)
    n = 2 if args.quick else args.n
    work = Path(tempfile.mkdtemp(prefix="gradbook-bench-grading-"))
    try:
        subs = work / "submissions"
        notebooks = make_class(subs, n)
        ours_s, ours_scores = ours(subs, work, args.jobs)
        theirs_s, theirs_scores = nbgrader_autograde(notebooks, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rate = {"gradbook grade": n / ours_s * 60, "nbgrader autograde": n / theirs_s * 60}
    print(f"{n} submissions of {CHAPTER}; {os.cpu_count()} cores; python "
          f"{sys.version.split()[0]}")
    print(f"  gradbook grade (--jobs {args.jobs}, sandboxed): {ours_s:7.1f} s  "
          f"{rate['gradbook grade']:7.1f} submissions/min")
    print(f"  nbgrader autograde (sequential):  {theirs_s:7.1f} s  "
          f"{rate['nbgrader autograde']:7.1f} submissions/min")
    print(f"  ratio: {rate['gradbook grade'] / rate['nbgrader autograde']:.2f} x nbgrader")
    disagree = {s: (ours_scores.get(s), theirs_scores.get(s)) for s in notebooks
                if ours_scores.get(s) != theirs_scores.get(s)}
    if disagree:
        print(f"FAILED: the two graders disagree on {disagree}", file=sys.stderr)
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"submissions": n, "jobs": args.jobs, "cores": os.cpu_count(),
                   "seconds": {"gradbook grade": ours_s, "nbgrader autograde": theirs_s},
                   "per_minute": rate, "quick": args.quick, "agree": not disagree}, f, indent=2)
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
