"""``gradbook grade`` on a generated class: honest submissions of every quality and one per
attack, graded once (in parallel, in the sandbox) for the whole module. Each submission must
get the points it deserves, end with the right outcome, and leave the machine as it was."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from graders.chapters import Chapter
from graders.grade.chapter import load_spec
from graders.grade.sandbox import Limits, namespaces_available

from . import _grading as g

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"),
                                reason="the sandbox needs Linux")

NAMESPACES = namespaces_available()
# Attacks only the full sandbox stops (files are not isolated without namespaces, as
# graders/README.md says): graded only where namespaces work.
NEEDS_NAMESPACES = {"reads-secrets", "writes-outside"}
needs_namespaces = pytest.mark.skipif(not NAMESPACES, reason="needs namespaces (root on "
                                                             "Linux)")

# Tight limits keep the attacks cheap: a cell gets 3 s, a notebook 12 s.
LIMITS = Limits(cell_s=3, observe_s=4, notebook_s=12, cpu_s=20, memory_mb=512, nproc=8,
                output_bytes=16 * 1024)

CH02_MUL_SWAPPED = """\
class Mul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * a, grad_output * b
"""
CH03_RECURSIVE_ORDER = """\
def topological_order(roots):
    seen, post = set(), []

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for child, _ in node.next_functions:
            if child is not None:
                visit(child)
        post.append(node)

    for root in roots:
        visit(root)
    return post[::-1]
"""


def _spec(chapter):
    return load_spec(Chapter(g.ROOT / "solutions" / f"{chapter}.py"), g.ROOT / "course")


def build_class(subs: Path, out: Path) -> dict[tuple[str, str], float]:
    """Write the class's notebooks under ``subs``; (student, chapter) -> points deserved."""
    deserved = {}
    key = _spec(g.CH01).key
    for student, (cells, change, points) in g.class_01(key).items():
        if student in NEEDS_NAMESPACES and not NAMESPACES:
            continue
        cells = {gid: g.paths(src, g.ROOT, out, subs) for gid, src in cells.items()}
        g.write(subs, student, g.CH01, g.notebook(g.CH01, cells, change))
        deserved[(student, g.CH01)] = points
    g.write(subs, "corrupt-json", g.CH01, b'{"cells": [')
    g.write(subs, "not-utf8", g.CH01, b'\xff\xfe{"cells": []}' + bytes(range(256)))
    g.write(subs, "not-a-notebook", g.CH01, b"[1, 2, 3]")
    for student in ("corrupt-json", "not-utf8", "not-a-notebook"):
        deserved[(student, g.CH01)] = 0
    # nbgrader's timestamp file: export's late penalty is computed from it
    (subs / "partly-wrong" / "timestamp.txt").write_text("2025-01-01 10:00:00.000000 UTC\n")
    ref02, ref03 = g.reference_cells(g.CH02), g.reference_cells(g.CH03)
    cases = {
        ("correct", g.CH02): (ref02, 12),
        ("blank", g.CH02): ({}, 0),
        ("mul-swapped", g.CH02): ({**ref02, "mul": CH02_MUL_SWAPPED}, 9),
        ("mul-close", g.CH02): ({**ref02, "mul": ref02["mul"].replace(
            "return a * b", "return a * b * (1 + 1e-13)")}, 12),
        ("correct", g.CH03): (ref03, 11),
        ("blank", g.CH03): ({}, 0),
        ("recursive-order", g.CH03): ({**ref03, "topological-order": CH03_RECURSIVE_ORDER}, 8),
    }
    for (student, chapter), (cells, points) in cases.items():
        g.write(subs, student, chapter, g.notebook(chapter, cells))
        deserved[(student, chapter)] = points
    return deserved


def _sandbox_uids() -> set[int]:
    uids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            uids.add(int(line.split()[1]))
            except OSError:
                pass
    return {u for u in uids if u >= 1_500_000_000}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from graders.grade.grading import grade_class

    base = tmp_path_factory.mktemp("class")
    subs, out = base / "submissions", base / "out"
    deserved = build_class(subs, out)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*.ipynb")}
    # the roster: everyone but "not-a-notebook", plus "ghost", who submitted nothing
    students = sorted({s for s, _ in deserved} - {"not-a-notebook"}) + ["ghost"]
    roster = base / "roster.csv"
    roster.write_text("student_id,name,email\n" + "".join(
        f"{s},{'Ada Lovelace' if s == 'correct' else ''},\n" for s in students))
    summary = grade_class(g.ROOT, subs, out, jobs=2, limits=LIMITS, progress=False,
                          roster=roster)
    results = {(r.student, r.chapter): r for r in summary.graded}
    return {"summary": summary, "results": results, "deserved": deserved, "subs": subs,
            "out": out, "before": before, "roster": roster}


def test_every_submission_gets_the_points_it_deserves(graded):
    results, deserved = graded["results"], graded["deserved"]
    assert set(results) == set(deserved), "the batch did not finish every submission"
    wrong = {k: (results[k].score, points, results[k].outcome, results[k].reason[:200])
             for k, points in deserved.items() if results[k].score != points}
    assert not wrong


OUTCOMES = {
    "correct": "graded", "blank": "partial", "partly-wrong": "partial",
    "close-inside": "graded", "close-outside": "partial", "warnings": "graded",
    "kernel-changed": "graded", "big-stored-output": "graded", "delegates": "graded",
    "loop-in-cell": "timeout", "loop-when-called": "timeout", "hang-uninterruptible": "timeout",
    "memory-bomb": "memory", "fork-bomb": "graded", "writes-outside": "graded",
    "reads-secrets": "partial", "deletes-tests": "partial", "duplicate-ids": "partial",
    "monkeypatches": "partial", "ipython-hooks": "partial", "forges-results": "tampered",
    "always-equal": "partial", "sys-exit": "partial", "os-exit": "crashed",
    "prints-50mb": "graded", "html-in-errors": "partial", "corrupt-json": "corrupt",
    "not-utf8": "corrupt", "not-a-notebook": "corrupt",
}


@pytest.mark.parametrize("student,outcome", [
    pytest.param(s, o, marks=[needs_namespaces] if s in NEEDS_NAMESPACES else [])
    for s, o in sorted(OUTCOMES.items())])
def test_outcome_and_reason(graded, student, outcome):
    result = graded["results"][(student, g.CH01)]
    assert result.outcome == outcome, result.reason
    assert result.reason and result.max_score == 8


def test_failing_cells_are_named(graded):
    result = graded["results"][("partly-wrong", g.CH01)]
    assert "numerical-gradient-check" in result.reason and "quiz-q2" in result.reason
    assert "central-difference-check" not in result.reason


def test_timeouts_name_the_cell_and_keep_what_ran_before(graded):
    hang = graded["results"][("hang-uninterruptible", g.CH01)]
    assert "numerical-gradient" in hang.reason and "time limit" in hang.reason
    scores = {c["id"]: c["score"] for c in hang.cells}
    assert scores["central-difference-check"] == 2  # observed before the hang
    loop = graded["results"][("loop-in-cell", g.CH01)]
    assert "cell central-difference ran over 3 s" in loop.reason
    called = graded["results"][("loop-when-called", g.CH01)]
    check = next(c for c in called.cells if c["id"] == "central-difference-check")
    assert "timeout" in check["problems"][0]


def test_memory_bomb_is_stopped_by_the_memory_limit(graded):
    result = graded["results"][("memory-bomb", g.CH01)]
    assert "out of memory" in result.reason


@needs_namespaces  # without them the limit counts all of the user's processes
def test_fork_bomb_is_stopped_by_the_process_limit(graded):
    result = graded["results"][("fork-bomb", g.CH01)]
    # the runner itself is one of the sandbox user's LIMITS.nproc processes
    assert f"forked {LIMITS.nproc - 1} children" in result.output


def test_tampering_is_reported_and_restored_cells_flagged(graded):
    results = graded["results"]
    assert any("tampered cells restored" in f and "central-difference-check (deleted)" in f
               and "quiz-q1 (edited)" in f for f in results[("deletes-tests", g.CH01)].flags)
    assert any("duplicate grade_id 'central-difference'" in f
               for f in results[("duplicate-ids", g.CH01)].flags)
    assert "result channel" in results[("forges-results", g.CH01)].reason
    assert any("kernel changed to 'evil-kernel'" in f
               for f in results[("kernel-changed", g.CH01)].flags)


def test_provenance_and_suspicious_code_are_flagged_for_review(graded):
    results = graded["results"]
    delegates = results[("delegates", g.CH01)].flags
    assert any(f.startswith("provenance: `numerical_gradient` uses engine.testing")
               for f in delegates)
    assert not any(f.startswith(("provenance", "suspicious"))
                   for f in results[("correct", g.CH01)].flags)
    assert any(f.startswith("suspicious") and "graders" in f
               for f in results[("monkeypatches", g.CH01)].flags)


def test_output_is_capped_and_warnings_do_not_hurt(graded):
    result = graded["results"][("prints-50mb", g.CH01)]
    assert any(f.startswith("output truncated: 50,000,") for f in result.flags)
    assert len(result.output) <= LIMITS.output_bytes
    assert "deprecated" in graded["results"][("warnings", g.CH01)].output


@needs_namespaces
def test_attacks_left_no_trace_on_the_machine(graded):
    subs, out = graded["subs"], graded["out"]
    for path in [g.ROOT / "solutions" / "pwned.txt", g.ROOT / "graders" / "pwned.py",
                 g.ROOT / "engine" / "pwned.py", out / "pwned.txt", out / "result.json",
                 Path("/tmp/pwned.txt"), Path("/etc/pwned.txt"), Path("/tmp/result.json")]:
        assert not path.exists(), path
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*.ipynb")}
    assert after == graded["before"], "a submission was changed"
    journal = (out / "journal.jsonl").read_text()
    assert "pwned" not in journal.replace("pwned.txt", "").replace("pwned.py", "")
    assert not _sandbox_uids(), "a sandboxed process outlived its run"


@pytest.mark.skipif(not namespaces_available(), reason="needs namespaces (root on Linux)")
def test_protections_in_force_are_reported(graded):
    p = graded["results"][("correct", g.CH01)].protections
    assert p["mode"] == "namespaces" and p["namespaces"] is True
    assert p["network"].startswith("none") and p["uid"] >= 1_500_000_000
    assert p["no_new_privs"] is True
    assert p["rlimits"]["RLIMIT_AS"] == LIMITS.memory_mb * 2**20
    assert p["rlimits"]["RLIMIT_NPROC"] == LIMITS.nproc
    kept = p["filesystem"]["kept"]
    assert not any(k in (str(g.ROOT), str(g.ROOT / "solutions")) for k in kept)


def test_the_journal_holds_every_result(graded):
    lines = (graded["out"] / "journal.jsonl").read_text().splitlines()
    journaled = {(d["student"], d["chapter"]) for d in map(json.loads, lines)}
    missing = {(r.student, r.chapter) for r in graded["summary"].missing}
    assert journaled == set(graded["deserved"]) | missing


def test_the_roster_reports_missing_work_and_strangers(graded):
    missing = {(r.student, r.chapter) for r in graded["summary"].missing}
    assert {("ghost", g.CH01), ("ghost", g.CH02), ("ghost", g.CH03)} <= missing
    assert ("correct", g.CH01) not in missing and ("blank", g.CH02) not in missing
    assert ("partly-wrong", g.CH02) in missing  # submitted chapter 01 only
    assert "not on the roster" in graded["results"][("not-a-notebook", g.CH01)].flags
    assert "not on the roster" not in graded["results"][("correct", g.CH01)].flags
    assert graded["results"][("correct", g.CH01)].name == "Ada Lovelace"


# --- the gradebook, feedback and export on the same class ------------------------------------

def _dump(url: str) -> list[tuple]:
    """Everything a grade in the gradebook says, in a stable order."""
    from nbgrader.api import Gradebook

    from graders.nbgrader_course import _nbgrader_env

    rows = []
    with _nbgrader_env(), Gradebook(url) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        rows.append((sub.student.id, assignment.name, nb.name, grade.name,
                                     grade.auto_score, grade.max_score,
                                     grade.needs_manual_grade, str(sub.timestamp)))
    return sorted(rows)


def test_the_gradebook_holds_every_graded_cell(graded):
    rows = _dump(graded["summary"].db_url)
    by_cell = {(r[0], r[1], r[3]): r for r in rows}
    for (student, chapter), result in graded["results"].items():
        for cell in result.cells:
            row = by_cell[(student, chapter, cell["id"])]
            assert row[4] == cell["score"] and row[5] == cell["points"]
    assert by_cell[("delegates", g.CH01, "numerical-gradient-check")][6] is True  # review
    assert by_cell[("correct", g.CH01, "numerical-gradient-check")][6] is False


def test_same_submissions_graded_twice_give_identical_gradebooks(graded, tmp_path):
    import shutil

    from graders.grade.grading import grade_class

    subs, out = graded["subs"], graded["out"]
    again = tmp_path / "subs"
    chosen = ["correct", "partly-wrong", "blank", "memory-bomb", "delegates"]
    for student in chosen:
        shutil.copytree(subs / student, again / student)  # copy2: same mtimes
    summary = grade_class(g.ROOT, again, tmp_path / "out", jobs=2, limits=LIMITS,
                          progress=False, secret_file=out / ".secret")
    assert len(summary.graded) == len(list(again.rglob("*.ipynb")))
    first = [r for r in _dump(graded["summary"].db_url) if r[0] in chosen]
    assert _dump(summary.db_url) == first
    forced = grade_class(g.ROOT, again, tmp_path / "out", jobs=2, limits=LIMITS,
                         progress=False, secret_file=out / ".secret", force=True)
    assert len(forced.graded) == len(summary.graded) and not forced.skipped
    assert _dump(summary.db_url) == first

    before = _dump(graded["summary"].db_url)
    rerun = grade_class(g.ROOT, subs, out, jobs=2, limits=LIMITS, progress=False)
    assert _dump(graded["summary"].db_url) == before
    assert not rerun.graded and len(rerun.skipped) == len(graded["deserved"])
    assert [r for r in _dump(graded["summary"].db_url) if r[0] in chosen] == first


def test_feedback_says_what_failed_without_expected_values_or_keys(graded, tmp_path):
    from graders.grade.batch import Journal
    from graders.grade.chapter import expected
    from graders.grade.feedback import write_all
    from graders.grade.grading import load_secret, seed_for

    written = write_all(Journal(graded["out"] / "journal.jsonl"), tmp_path)
    assert len(written) == len(graded["deserved"]) + len(graded["summary"].missing)
    assert "no submission" in (tmp_path / "ghost" / f"{g.CH02}.html").read_text()
    page = (tmp_path / "partly-wrong" / f"{g.CH01}.html").read_text()
    assert "numerical-gradient-check" in page and "values differ" in page
    assert "Hint:" in page and "6 of 8" not in page and "3 of 8 points" in page
    # none of the reference's values for the failing piece appear
    seed = seed_for(load_secret(graded["out"] / ".secret"), "partly-wrong", g.CH01)
    reference = expected(_spec(g.CH01), seed)["numerical_gradient"]
    numbers = [v for case in reference.values() for v in case["gradient"]["data"]]
    assert len(numbers) > 10
    assert not any(repr(v) in page or f"{v:.12g}" in page for v in numbers)
    q2 = page[page.index("quiz-q2"):].split("</tr>")[0]
    key = _spec(g.CH01).key
    assert "not right" in q2 and "&#x27;c&#x27;" in q2  # the student's answer, escaped
    assert f"&#x27;{key['q2']}&#x27;" not in q2 and repr(key["q2"]) not in q2
    hostile = (tmp_path / "html-in-errors" / f"{g.CH01}.html").read_text()
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile
    delegated = (tmp_path / "delegates" / f"{g.CH01}.html").read_text()
    assert "provenance" not in delegated and "8 of 8 points" in delegated


def test_export_applies_late_penalties_and_nbgrader_export_agrees(graded, tmp_path):
    import csv
    import subprocess
    import sys

    from graders.grade.batch import Journal
    from graders.grade.export import export

    url = graded["summary"].db_url
    rows = export(Journal(graded["out"] / "journal.jsonl"), tmp_path / "grades.csv",
                  due={g.CH01: __import__("datetime").datetime(2025, 1, 1, 9, 0)},
                  penalty="submarks", db_url=url)
    by = {(r["student_id"], r["chapter"]): r for r in rows}
    late = by[("partly-wrong", g.CH01)]
    assert late["timestamp"].startswith("2025-01-01 10:00:00")
    assert (late["seconds_late"], late["raw_score"], late["late_penalty"], late["score"]) == (
        "3600", "3", "1", "2")
    assert by[("blank", g.CH01)]["late_penalty"] == "0"  # never more than the score
    assert by[("correct", g.CH02)]["late_penalty"] == "0"  # no due date for chapter 02
    assert by[("delegates", g.CH01)]["needs_review"] == "yes"
    assert by[("corrupt-json", g.CH01)]["outcome"] == "corrupt"
    assert by[("ghost", g.CH01)]["outcome"] == "missing" and by[("ghost", g.CH01)]["score"] == "0"
    assert len(rows) == len(graded["deserved"]) + len(graded["summary"].missing)
    with open(tmp_path / "grades.csv", newline="") as f:
        assert list(csv.DictReader(f))[0].keys() >= {"student_id", "score", "outcome", "flags"}

    nbgrader = Path(sys.executable).parent / "nbgrader"
    env = {**os.environ, "PATH": f"{nbgrader.parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run([str(nbgrader), "export", f"--CourseDirectory.db_url={url}",
                           "--to", str(tmp_path / "nbgrader.csv")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / "nbgrader.csv", newline="") as f:
        theirs = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}
    for key_, row in by.items():
        assert float(theirs[key_]["raw_score"]) == float(row["raw_score"]), key_
    assert theirs[("correct", g.CH01)]["last_name"] == "Lovelace"
    assert float(theirs[("partly-wrong", g.CH01)]["late_submission_penalty"]) == 1.0
    assert float(theirs[("partly-wrong", g.CH01)]["score"]) == 2.0


def test_the_commands_work_on_the_graded_class(graded, tmp_path, capsys):
    from graders.cli import main

    out = str(graded["out"])
    assert main(["--root", str(g.ROOT), "feedback", "--out", out, "--to", str(tmp_path / "fb"),
                 "--student", "correct", "--chapter", "01"]) == 0
    assert [p.name for p in (tmp_path / "fb" / "correct").iterdir()] == [f"{g.CH01}.html"]
    assert main(["--root", str(g.ROOT), "export", "--out", out, "--csv",
                 str(tmp_path / "g.csv"), "--due", "01=2025-01-01T09:00", "--penalty",
                 "zero"]) == 0
    text = (tmp_path / "g.csv").read_text()
    assert "partly-wrong,,01-why-gradients,2025-01-01 10:00:00,3600,3,3,0," in text
    capsys.readouterr()
    assert main(["--root", str(g.ROOT), "grade", str(graded["subs"]), "--out", out,
                 "--roster", str(graded["roster"])]) == 0
    printed = capsys.readouterr().out
    assert (f"0 graded now, {len(graded['deserved'])} already graded (--force regrades), "
            f"{len(graded['summary'].missing)} missing") in printed
    assert "review delegates 01-why-gradients" in printed
