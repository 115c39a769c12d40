"""The grader's parts without a sandbox: the verdict on forged or malformed messages, the
chapter spec and its quiz key, the static review, finding submissions (folders, LMS zips,
rosters), penalties, seeds, and the commands' errors on bad input."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import pytest

from graders.chapters import Chapter, ChapterError
from graders.cli import main
from graders.grade import provenance
from graders.grade.chapter import expected, load_spec
from graders.grade.grading import seed_for
from graders.grade.plan import Corrupt, plan
from graders.grade.submissions import (
    SubmissionsError,
    discover,
    read_roster,
    unpack_zip,
)
from graders.grade.verdict import read_messages, score

from . import _grading as g


@pytest.fixture(scope="module")
def spec01():
    return load_spec(Chapter(g.ROOT / "solutions" / f"{g.CH01}.py"), g.ROOT / "course")


# --- the chapter spec ----------------------------------------------------------------------

def test_spec_of_chapter_01(spec01):
    assert [c.kind for c in spec01.run] == ["setup", "exercise", "exercise", "answers"]
    assert spec01.exercises == {"central-difference": "central_difference",
                                "numerical-gradient": "numerical_gradient"}
    kinds = {c.id: (c.kind, c.points, c.piece or c.question) for c in spec01.graded}
    assert kinds == {"central-difference-check": ("check", 2, "central_difference"),
                     "numerical-gradient-check": ("check", 3, "numerical_gradient"),
                     "quiz-q1": ("key", 1, "q1"), "quiz-q2": ("key", 1, "q2"),
                     "quiz-q3": ("key", 1, "q3")}
    assert spec01.max_score == 8 and set(spec01.key) == {"q1", "q2", "q3"}


@pytest.mark.parametrize("chapter", [g.CH01, g.CH02, g.CH03])
def test_the_quiz_key_matches_the_hidden_tests(chapter):
    """The key read from the answers cell's solution is what each key cell's hidden test
    asserts (``== "b"``), so grading agrees with nbgrader's autograde."""
    import re

    from graders import notebook as nbk

    spec = load_spec(Chapter(g.ROOT / "solutions" / f"{chapter}.py"))
    source = nbk.load_source(g.ROOT / "solutions" / f"{chapter}.py")
    for cell in spec.graded:
        if cell.kind == "key":
            text = next(c.source for c in source.cells if nbk.grade_id(c) == cell.id)
            assert re.search(rf'== "{spec.key[cell.question]}"', text), cell.id


def test_a_chapter_without_probes_cannot_be_graded(tmp_path):
    from tests.graders.conftest import MINI, write_chapter

    chapter = write_chapter(tmp_path, MINI.replace("central_difference", "mystery_piece"),
                            "98-nothing")
    with pytest.raises(ChapterError, match="no observations for this chapter"):
        load_spec(chapter)


@pytest.mark.parametrize("chapter", [g.CH01, g.CH02, g.CH03])
def test_reference_observations_are_plain_deterministic_and_seeded(chapter):
    spec = load_spec(Chapter(g.ROOT / "solutions" / f"{chapter}.py"))
    one, again, other = expected(spec, 7), expected(spec, 7), expected(spec, 8)
    assert set(one) == set(spec.exercises.values())
    assert json.dumps(one) == json.dumps(again)
    assert json.dumps(one) != json.dumps(other)  # random inputs depend on the seed
    assert "raised" not in json.dumps(one), "the reference raised on a case"


def test_seeds_are_fixed_per_student_and_secret():
    assert seed_for(b"s", "alice", g.CH01) == seed_for(b"s", "alice", g.CH01)
    assert len({seed_for(b"s", "alice", g.CH01), seed_for(b"s", "bob", g.CH01),
                seed_for(b"s", "alice", g.CH02), seed_for(b"t", "alice", g.CH01)}) == 4


# --- the verdict on what comes back --------------------------------------------------------

def _observation(spec, seed, piece):
    return {"kind": "piece", "name": piece, "observation": expected(spec, seed)[piece]}


def test_a_right_observation_earns_the_points_and_a_forged_channel_does_not(spec01):
    right = [_observation(spec01, 3, "central_difference"),
             {"kind": "answers", "answers": dict(spec01.key)}]
    obs, answers, cells, _, notes = read_messages(right, {"central_difference",
                                                          "numerical_gradient"})
    scores = {c.id: c.score for c in score(spec01, obs, answers, 3, cells)}
    assert scores == {"central-difference-check": 2, "numerical-gradient-check": 0,
                      "quiz-q1": 1, "quiz-q2": 1, "quiz-q3": 1} and not notes
    # the same, reported twice (someone else wrote on the channel): 0 for those items
    obs, answers, cells, _, notes = read_messages(right + right, {"central_difference"})
    scores = {c.id: c.score for c in score(spec01, obs, answers, 3, cells)}
    assert sum(scores.values()) == 0 and len(notes) == 2
    # another seed's right answers are wrong answers here
    obs, answers, cells, _, _ = read_messages(right[:1], {"central_difference"})
    assert score(spec01, obs, answers, 4, cells)[0].score == 0


@pytest.mark.parametrize("message", [
    {"kind": "piece", "name": "central_difference"},  # neither observation nor error
    {"kind": "piece", "name": "central_difference",
     "observation": json.loads("[" * 80 + "]" * 80)},  # nested too deep
    {"kind": "answers", "answers": {"q1": ["b"]}},  # not a string
    {"kind": "nonsense"},
    ["not", "an", "object"],
])
def test_malformed_messages_count_as_tampering(spec01, message):
    obs, answers, cells, _, notes = read_messages([message], {"central_difference"})
    results = score(spec01, obs, answers, 3, cells)
    assert sum(c.score for c in results) == 0
    assert any(n.startswith("tampered") for n in notes) or "tampered" in json.dumps(obs) \
        or answers == "tampered"


def test_topological_orders_are_judged_on_the_graph_not_the_reference_order():
    from graders.probes.ch03 import COMPARE

    judge = COMPARE["topological_order"]
    expected_ = {"case": {"order": [0, 1, 2, 3], "nodes": 4,
                          "edges": [[0, 1], [0, 2], [1, 3], [2, 3]]}}
    assert judge(expected_, {"case": {"order": [0, 2, 1, 3]}}, 0, 0) == []  # also valid
    assert "before" in judge(expected_, {"case": {"order": [0, 3, 1, 2]}}, 0, 0)[0]
    assert "more than once" in judge(expected_, {"case": {"order": [0, 1, 1, 3]}}, 0, 0)[0]
    assert "3 of the 4" in judge(expected_, {"case": {"order": [0, 1, 3]}}, 0, 0)[0]
    assert "not a node" in judge(expected_, {"case": {"order": [0, 1, 2, -1]}}, 0, 0)[0]
    assert "raised" in judge(expected_, {"case": {"raised": "RecursionError"}}, 0, 0)[0]
    assert "expected a list" in judge(expected_, {"case": {"order": "0123"}}, 0, 0)[0]
    assert judge(expected_, {}, 0, 0) == ["case: missing"]


# --- reading notebooks ---------------------------------------------------------------------

@pytest.mark.parametrize("data,why", [
    (b'{"cells": [', "not valid JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b"[1, 2]", "no list of cells"),
    (b'{"worksheets": [], "nbformat": 3}', "nbformat 3"),
    (b'{"cells": [{"cell_type": "code", "source": 42}]}', "neither text nor"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
])
def test_corrupt_notebooks_are_reported(spec01, tmp_path, data, why):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(data)
    with pytest.raises(Corrupt, match=why):
        plan(spec01, path, 10 * 2**20)


def test_a_notebook_built_to_exhaust_memory_only_exhausts_its_reader(spec01, tmp_path,
                                                                     monkeypatch):
    from graders.grade import plan as plan_module

    monkeypatch.setattr(plan_module, "READ_MEMORY_MB", 128)
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b'{"cells": [' + b"[[]]," * 2_000_000 + b"[]]}")  # 10 MB, ~400 MB parsed
    with pytest.raises(Corrupt, match="more memory than allowed"):
        plan(spec01, path, 2**30)


def test_duplicates_of_ids_the_chapter_lacks_are_counted_not_quoted(spec01, tmp_path):
    nb = g.notebook(g.CH01, {})
    for _ in range(2):
        nb["cells"].append({"cell_type": "code", "metadata": {"nbgrader": {
            "grade_id": "=HYPERLINK(\"http://x\")"}}, "source": "", "outputs": []})
    p = plan(spec01, g.write(tmp_path, "s", g.CH01, nb), 2**30)
    assert p.flags == ["1 grade_id(s) the chapter does not have appear more than once"]


def test_csv_fields_cannot_be_formulas():
    from graders.grade.export import _cell

    assert _cell("=1+1") == "'=1+1" and _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("graded") == "graded" and _cell("") == ""


def test_an_oversized_notebook_is_refused_before_reading(spec01, tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b" " * 2048)
    with pytest.raises(Corrupt, match="over the 0 MiB limit"):
        plan(spec01, path, 1024)


def test_only_exercise_and_answers_cells_come_from_the_student(spec01, tmp_path):
    nb = g.notebook(g.CH01, {"central-difference": "EVIL_CD", "quiz-answers": "EVIL_ANSWERS"})
    for cell in nb["cells"]:  # edits outside the exercise cells change nothing that runs
        if cell["cell_type"] == "code" and "import" in "".join(cell["source"]):
            cell["source"] = "import os; os._exit(3)"
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "execution_count": None, "source": "EXTRA_CELL"})
    path = g.write(tmp_path, "s", g.CH01, nb)
    p = plan(spec01, path, 2**30)
    sources = [c["source"] for c in p.cells]
    assert [c["kind"] for c in p.cells] == ["setup", "exercise", "exercise", "answers"]
    assert sources[1] == "EVIL_CD" and sources[3] == "EVIL_ANSWERS"
    assert sources[0] == spec01.run[0].source and "EXTRA_CELL" not in sources


# --- the static review -----------------------------------------------------------------------

SETUP = ["import numpy as np\nimport engine\nfrom graders import quiz\n"
         "from graders.checks import ch01 as check\n"]


@pytest.mark.parametrize("source,flagged", [
    ("def numerical_gradient(f, x, h=1e-5):\n    return engine.testing.numerical_grad(f, x)",
     True),
    ("from engine.testing import numerical_grad as ng\n"
     "def numerical_gradient(f, x, h=1e-5):\n    return ng(f, x)[0]", True),
    ("import engine.testing as t\ndef numerical_gradient(f, x, h=1e-5):\n"
     "    return t.numerical_grad(f, x)[0]", True),
    ("def numerical_gradient(f, x, h=1e-5):\n    t = engine.tensor(x, requires_grad=True)\n"
     "    f(t).backward()\n    return t.grad.numpy()", True),
    (g.NG_OK, False),
])
def test_provenance(source, flagged):
    notes = provenance.review(source, "numerical_gradient",
                              provenance.forbidden_names("graders.probes.ch01")
                              ["numerical_gradient"], SETUP)
    assert any(n.startswith("provenance") for n in notes) == flagged, notes


def _reference_exercises():
    """(chapter, piece, the reference solution's exercise cell, the setup cells) for every
    exercise of every chapter."""
    from graders import notebook as nbk
    from graders.grade.chapter import _imports_only

    found = []
    for path in sorted((g.ROOT / "solutions").glob("[0-9][0-9]-*.py")):
        nb = nbk.load_source(path)
        setup = [c.source for c in nb.cells if c.cell_type == "code"
                 and nbk.piece_of(c) is None and _imports_only(c.source)]
        found += [(path.name[:2], nbk.piece_of(c), c.source, setup) for c in nb.cells
                  if c.cell_type == "code" and nbk.piece_of(c)]
    return found


REFERENCE_EXERCISES = _reference_exercises()


@pytest.mark.parametrize("chapter,piece,source,setup", REFERENCE_EXERCISES,
                         ids=[f"{c}-{p}" for c, p, _, _ in REFERENCE_EXERCISES])
def test_every_piece_has_a_provenance_list_the_reference_passes(chapter, piece, source, setup):
    """A list per piece, and the reference solution itself is never flagged by it."""
    forbidden = provenance.forbidden_names(f"graders.probes.ch{chapter}")
    assert piece in forbidden, f"graders/probes/ch{chapter}.py: no FORBIDDEN entry for {piece}"
    notes = provenance.review(source, piece, forbidden[piece], setup)
    assert not [n for n in notes if n.startswith("provenance")], notes


@pytest.mark.parametrize("chapter,piece,source", [
    ("08", "SGD", "class SGD(engine.optim.SGD):\n    pass"),
    ("10", "checkpoint", "from engine.utils.checkpoint import checkpoint"),
    ("06", "detach", "def detach(t):\n    return t.detach()"),
    ("12", "LogSumExp", "def LogSumExp(x):\n    return x.logsumexp(0)"),
])
def test_provenance_flags_the_engines_own_piece(chapter, piece, source):
    notes = provenance.review(source, piece,
                              provenance.forbidden_names(f"graders.probes.ch{chapter}")[piece],
                              SETUP)
    assert any(n.startswith("provenance") for n in notes), notes


@pytest.mark.parametrize("source,flagged", [
    ("exec('x = 1')", True), ("__import__('os').system('ls')", True),
    ("import sys\nsys.modules['numpy'].allclose = None", True),
    ("getattr(engine, 'test' + 'ing')", True), ("import graders.probes as p", True),
    ("answers = {'q1': 'b'}\nquiz.recorded(answers)", False),
    ("check.central_difference(central_difference)", False),
    ("x = np.zeros(3)\ny = engine.tensor(x)", False),
])
def test_suspicious_constructs(source, flagged):
    notes = provenance.review(source, "answers", (), SETUP)
    assert any(n.startswith("suspicious") for n in notes) == flagged, notes


# --- finding submissions ---------------------------------------------------------------------

CHAPTERS = [g.CH01, g.CH02, g.CH03]


def test_discover_both_layouts_with_timestamps(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / f"{g.CH01}.ipynb").write_text("{}")
    (tmp_path / "alice" / "02.ipynb").write_text("{}")  # by number
    (tmp_path / "alice" / "timestamp.txt").write_text("2025-03-01 12:00:00.000000 UTC")
    nbgrader_layout = tmp_path / "bob" / g.CH03
    nbgrader_layout.mkdir(parents=True)
    (nbgrader_layout / f"{g.CH03}.ipynb").write_text("{}")
    (nbgrader_layout / "timestamp.txt").write_text("2025-03-02 08:30:00 UTC")
    (tmp_path / "bob" / "notes.ipynb").write_text("{}")
    (tmp_path / "bad name!").mkdir()
    found, notes = discover(tmp_path, CHAPTERS)
    got = {(s.student, s.chapter): s.timestamp for s in found}
    assert got == {("alice", g.CH01): "2025-03-01 12:00:00", ("alice", g.CH02): "2025-03-01 "
                   "12:00:00", ("bob", g.CH03): "2025-03-02 08:30:00"}
    assert any("notes.ipynb" in n for n in notes) and any("bad name!" in n for n in notes)


def test_an_lms_zip_is_unpacked_safely(tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo(f"jdoe_12345_67890_{g.CH01}.ipynb", (2025, 3, 1, 23, 59, 0))
        zf.writestr(info, "{}")
        zf.writestr(f"asmith_LATE_222_333_{g.CH02}.ipynb", "{}")
        zf.writestr(f"course/kim/{g.CH03}.ipynb", "{}")
        zf.writestr(f"Jane Doe_42_assignsubmission_file_/{g.CH01}.ipynb", "{}")
        zf.writestr(f"../../escape_1_2_{g.CH01}.ipynb", "{}")
        zf.writestr("__MACOSX/jdoe_1_2_01.ipynb", "{}")
        zf.writestr("readme.txt", "hello")
    target = tmp_path / "out"
    notes = unpack_zip(archive, target, CHAPTERS)
    found, _ = discover(target, CHAPTERS)
    got = {(s.student, s.chapter) for s in found}
    assert got == {("jdoe", g.CH01), ("asmith", g.CH02), ("kim", g.CH03),
                   ("Jane-Doe", g.CH01)}
    assert any("escape" in n for n in notes) and any("__MACOSX" in n for n in notes)
    assert not (tmp_path / "escape_1_2_01-why-gradients.ipynb").exists()
    stamp = next(s.timestamp for s in found if s.student == "jdoe")
    assert stamp == "2025-03-01 23:59:00"


def test_roster(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text("Student_ID,First_Name,Last_Name,Email\nalice,Alice,Liddell,a@x\n"
                      "bob,Bob,,\n,,,\n", encoding="utf-8")
    students = read_roster(roster)
    assert set(students) == {"alice", "bob"}
    assert students["alice"].name == "Alice Liddell" and students["alice"].email == "a@x"
    (tmp_path / "bad.csv").write_text("name,email\nAlice,a@x\n")
    with pytest.raises(SubmissionsError, match="no student id column"):
        read_roster(tmp_path / "bad.csv")
    (tmp_path / "latin1.csv").write_bytes("id,name\nz,Zo\xe9\n".encode("latin-1"))
    with pytest.raises(SubmissionsError, match="UTF-8"):
        read_roster(tmp_path / "latin1.csv")
    with pytest.raises(SubmissionsError, match="no such roster"):
        read_roster(tmp_path / "nope.csv")


# --- penalties ----------------------------------------------------------------------------------

def test_penalties_follow_nbgrader(tmp_path):
    from graders.grade.batch import Result
    from graders.grade.export import ExportError, _late, parse_due, penalty_plugin

    due = parse_due(["01=2025-01-01T09:00"], CHAPTERS)
    assert due == {g.CH01: dt.datetime(2025, 1, 1, 9, 0)}
    assert parse_due(["2025-01-01T09:00:00+02:00"], CHAPTERS)[g.CH03] == dt.datetime(
        2025, 1, 1, 7, 0)
    result = Result("s", g.CH01, "partial", "", 5.0, 8.0, [], timestamp="2025-01-01 12:30:00")
    assert _late(result, due[g.CH01], penalty_plugin("submarks")) == (12600.0, 4.0)
    assert _late(result, due[g.CH01], penalty_plugin("zero")) == (12600.0, 5.0)
    assert _late(result, due[g.CH01], penalty_plugin("none")) == (12600.0, 0.0)
    early = Result("s", g.CH01, "graded", "", 8.0, 8.0, [], timestamp="2025-01-01 08:00:00")
    assert _late(early, due[g.CH01], penalty_plugin("zero")) == (0.0, 0.0)
    huge = penalty_plugin("graders.grade.export:SubMarks")
    assert _late(result, dt.datetime(2024, 1, 1), huge)[1] == 5.0  # never over the score
    for bad in ("half", "nosuch.module:Plugin", "graders.grade.export:Journal"):
        with pytest.raises(ExportError):
            penalty_plugin(bad)
    with pytest.raises(ExportError, match="not a date"):
        parse_due(["yesterday"], CHAPTERS)
    with pytest.raises(ExportError, match="no chapter"):
        parse_due(["77=2025-01-01"], CHAPTERS)


# --- the commands on bad input ------------------------------------------------------------------

def _run(capsys, *argv):
    code = main(["--root", str(g.ROOT), *argv])
    return code, capsys.readouterr().err


def test_grade_errors_say_what_is_wrong(capsys, tmp_path):
    code, err = _run(capsys, "grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert code == 2 and "no such folder or zip" in err
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    code, err = _run(capsys, "grade", str(tmp_path / "subs"), "--chapter", "77",
                     "--out", str(tmp_path / "o"))
    assert code == 2 and "no chapter '77'" in err
    code, err = _run(capsys, "grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"))
    assert code == 2 and "no submissions of" in err
    (tmp_path / "bad.csv").write_text("who\nalice\n")
    code, err = _run(capsys, "grade", str(tmp_path / "subs"), "--roster",
                     str(tmp_path / "bad.csv"), "--out", str(tmp_path / "o"))
    assert code == 2 and "no student id column" in err
    (tmp_path / "not.zip").write_text("hello")
    code, err = _run(capsys, "grade", str(tmp_path / "not.zip"), "--out", str(tmp_path / "o"))
    assert code == 2 and "cannot read" in err and "as a zip" in err


def test_feedback_and_export_need_a_graded_folder(capsys, tmp_path):
    for command in ("feedback", "export"):
        code, err = _run(capsys, command, "--out", str(tmp_path))
        assert code == 2 and "run `gradbook grade` first" in err
    (tmp_path / "journal.jsonl").write_text("")
    code, err = _run(capsys, "export", "--out", str(tmp_path), "--penalty", "half")
    assert code == 2 and "unknown penalty 'half'" in err


def test_journal_ignores_a_line_cut_short(tmp_path):
    from graders.grade.batch import Journal, Result

    journal = Journal(tmp_path / "j.jsonl")
    journal.append(Result("a", g.CH01, "graded", "", 8, 8, []))
    journal.append(Result("a", g.CH01, "partial", "", 3, 8, []))
    journal.append(Result("b", g.CH01, "graded", "", 8, 8, []))
    with open(journal.path, "a") as f:
        f.write('{"student": "c", "chap')  # the machine died here
    found = journal.read()
    assert set(found) == {("a", g.CH01), ("b", g.CH01)} and found[("a", g.CH01)].score == 3


def test_progress_is_one_line_per_submission_without_a_terminal():
    import io

    from graders.grade.batch import Progress, Result

    stream = io.StringIO()
    bar = Progress(2, stream)
    bar.update(Result("a", g.CH01, "graded", "", 8, 8, []))
    bar.update(Result("b", g.CH01, "timeout", "", 2, 8, []))
    assert stream.getvalue().splitlines() == [f"[1/2] a {g.CH01}: graded 8/8",
                                              f"[2/2] b {g.CH01}: timeout 2/8"]


def test_progress_rewrites_one_line_on_a_terminal():
    import io

    from graders.grade.batch import Progress, Result

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = Progress(2, stream)
    bar.update(Result("a", g.CH01, "graded", "", 8, 8, []))
    bar.update(Result("b", g.CH01, "graded", "", 8, 8, []))
    text = stream.getvalue()
    assert text.count("\r[") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "#" * 30 in text and "/min" in text


@pytest.mark.parametrize("command", ["grade", "feedback", "export"])
def test_help_has_examples(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "examples:" in capsys.readouterr().out


def test_a_zip_is_graded_end_to_end(tmp_path):
    """An LMS zip through ``grade_class``: unpacked into the output folder, graded, journaled
    (only notebooks that never reach the sandbox, to stay cheap)."""
    from graders.grade.grading import grade_class

    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"kim_1_2_{g.CH01}.ipynb", '{"cells": [')
        zf.writestr(f"lee_3_4_{g.CH01}.ipynb", b"\xff\xfe")
        zf.writestr(f"../evil_5_6_{g.CH01}.ipynb", "{}")
    summary = grade_class(g.ROOT, archive, tmp_path / "out", jobs=1, progress=False)
    assert {(r.student, r.outcome) for r in summary.graded} == {("kim", "corrupt"),
                                                               ("lee", "corrupt")}
    assert any("evil" in n for n in summary.notes)
    assert (tmp_path / "out" / "unpacked" / "class" / "kim" / f"{g.CH01}.ipynb").exists()
    assert len((tmp_path / "out" / "journal.jsonl").read_text().splitlines()) == 2
