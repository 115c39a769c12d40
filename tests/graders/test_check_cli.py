"""gradbook check: one row per exercise, from the notebook's visible checks."""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat

from graders.check import FAIL, MISSING, NOT_RUN, PASS, format_table, rows_of

from .conftest import ROOT


def _run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "graders", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_check_on_the_blank_release_reports_every_exercise_failing(tmp_path):
    notebook = tmp_path / "01-why-gradients.ipynb"
    shutil.copy(ROOT / "course" / "01-why-gradients.ipynb", notebook)
    result = _run("check", notebook)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "0 of 2 exercises pass their visible checks" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("exercise"))
    assert lines[header].split() == ["exercise", "piece", "verdict", "message"]
    rows = [line.split(None, 3) for line in lines[header + 2:header + 4]]
    assert [r[:3] for r in rows] == [["central-difference", "central_difference", "FAIL"],
                                     ["numerical-gradient", "numerical_gradient", "FAIL"]]
    assert rows[0][3].startswith("✗ central_difference: case 1 of 5 failed")
    # the full verdicts follow the table, in the students' format
    assert "got:      NotImplementedError: `central_difference` is not written yet" in out
    assert "hint:     replace `raise NotImplementedError()`" in out
    assert "(it uses your code) failed: NotImplementedError" in out
    assert "Traceback" not in out


def test_missing_notebook(tmp_path):
    result = _run("check", tmp_path / "nope.ipynb")
    assert result.returncode == 2 and "no such notebook" in result.stderr


def _cell(kind, source="", **meta):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    cell.metadata.update(meta)
    return cell


def _exercise(piece):
    return _cell("code", f"def {piece}(): ...", nbgrader={"grade_id": piece.replace("_", "-"),
                 "solution": True}, gradbook={"piece": piece})


def _check(piece, outputs, ran=True):
    cell = _cell("code", f"check.{piece}({piece})",
                 nbgrader={"grade_id": f"{piece.replace('_', '-')}-check", "grade": True,
                           "points": 1}, gradbook={"checks": piece})
    cell.outputs, cell.execution_count = outputs, (1 if ran else None)
    return cell


def _error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])


def test_rows_cover_every_outcome():
    ok = nbformat.v4.new_output("stream", name="stdout", text="✓ a: all 3 cases pass.\n")
    broken_exercise = _exercise("d")
    broken_exercise.outputs = [_error("SyntaxError", "invalid syntax")]
    nb = nbformat.v4.new_notebook(cells=[
        _exercise("a"), _check("a", [ok]),
        _exercise("b"), _check("b", [_error("CheckFailed", "✗ b: case 2 of 3 failed: x\n  hint: y")]),
        _exercise("c"), _check("c", [], ran=False),
        broken_exercise, _check("d", []),
        _exercise("e"), _cell("code", "print('a demo')"), _check("e", [ok]),
    ])
    rows = rows_of(nb)
    assert [(r.exercise, r.verdict) for r in rows] == [
        ("a", PASS), ("b", FAIL), ("c", NOT_RUN), ("d", FAIL), ("e", MISSING)]
    assert rows[0].message == "✓ a: all 3 cases pass."
    assert rows[1].message == "✗ b: case 2 of 3 failed: x" and "hint: y" in rows[1].details
    assert rows[3].message == "your exercise cell failed: SyntaxError: invalid syntax"
    table = format_table(rows)
    assert table.splitlines()[0].split() == ["exercise", "piece", "verdict", "message"]
    assert len(table.splitlines()) == 2 + len(rows)



def test_a_check_that_ran_out_of_time():
    nb = nbformat.v4.new_notebook(cells=[
        _exercise("a"), _check("a", [_error("KeyboardInterrupt", "")])])
    nb.metadata["gradbook_stopped"] = "CellTimeoutError: A cell timed out"
    (row,) = rows_of(nb)
    assert row.verdict == FAIL and "ran out of time" in row.message
