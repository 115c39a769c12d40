"""gradbook my-engine: a student's pieces, loaded from their notebook, run against the
engine's own tests (and their checks)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pytest

import engine
from graders import myengine
from graders.myengine.loader import load_pieces
from graders.myengine.pieces import PIECES
from graders.myengine.plugin import installed

from .conftest import ROOT


def _notebook(path, *cells):
    """A notebook of (source, piece-or-None) code cells; a piece makes it an exercise cell."""
    nb = nbformat.v4.new_notebook()
    for i, (source, piece) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        if piece:
            cell.metadata["nbgrader"] = {"grade_id": f"ex-{i}", "solution": True}
            cell.metadata["gradbook"] = {"piece": piece}
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


MUL = '''\
class Mul(ArrayFunction):
    node_name = "MulBackward0"
    calls = 0

    @staticmethod
    def forward(ctx, a, b):
        Mul.calls += 1
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a
'''
SETUP_OPS = "import engine\nfrom engine.autograd import ArrayFunction"


def test_every_piece_names_engine_tests_that_exist():
    for piece in PIECES.values():
        if piece.slot:
            files = [t for t in piece.slot.tests if t.endswith(".py")]
            assert files and all((ROOT / f).exists() for f in files), (piece.name, files)
        assert piece.check or piece.slot, piece.name


def test_loader_runs_only_imports_and_exercises(tmp_path):
    path = _notebook(
        tmp_path / "nb.ipynb",
        ("import numpy as np", None),
        ("raise RuntimeError('a demo must not run')", None),
        ("def central_difference(f, x, h=1e-5):\n    return np.float64(1.0)", "central_difference"),
        ("def numerical_gradient(f, x, h=1e-5):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
         "numerical_gradient"),
    )
    pieces = load_pieces(path)
    assert list(pieces) == ["central_difference", "numerical_gradient"]
    assert pieces["central_difference"].obj(None, 0.0) == 1.0 and pieces["central_difference"].written
    assert not pieces["numerical_gradient"].written


def test_loader_reports_a_broken_exercise(tmp_path):
    path = _notebook(tmp_path / "nb.ipynb", ("def central_difference(:", "central_difference"))
    loaded = load_pieces(path)["central_difference"]
    assert loaded.obj is None and loaded.error.startswith("SyntaxError")


def test_blank_release_has_no_pieces_yet(tmp_path):
    notebook = tmp_path / "01.ipynb"
    shutil.copy(ROOT / "course" / "01-why-gradients.ipynb", notebook)
    results = myengine.run(ROOT, [notebook])
    assert [(r.name, r.status) for r in results] == [
        ("central_difference", "not written yet"), ("numerical_gradient", "not written yet")]
    assert myengine.report(results).startswith("Your engine: 0 of 2 pieces are yours, 0 of them pass.")


def test_installed_puts_an_op_in_the_engine_for_the_block_only():
    namespace = {}
    exec(SETUP_OPS + "\n" + MUL, namespace)
    student_mul = namespace["Mul"]
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    with installed("Mul", student_mul):
        (x * x).sum().backward()
    assert student_mul.calls == 1 and x.grad.tolist() == [2.0, 4.0]
    x * x
    assert student_mul.calls == 1


def test_installed_puts_a_function_in_place_of_the_engines_oracle():
    import engine.testing

    original = engine.testing.numerical_grad

    def doubled(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in range(x.size):
            e = np.zeros_like(x)
            e[i] = h
            grad[i] = (f(x + e) - f(x - e)) / h  # twice the slope
        return grad

    with installed("numerical_gradient", doubled):
        (g,) = engine.testing.numerical_grad(lambda a: float((a**2).sum()), np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(g, [[4.0, 8.0]], rtol=1e-6)
    assert engine.testing.numerical_grad is original


def test_a_wrong_numerical_gradient_fails_its_check_and_the_engine_tests(tmp_path):
    path = _notebook(
        tmp_path / "wrong.ipynb",
        ("import numpy as np", None),
        ("def numerical_gradient(f, x, h=1e-5):\n"
         "    grad = np.zeros_like(x, dtype=float)\n"
         "    for i in range(x.size):\n"
         "        e = np.zeros_like(x, dtype=float)\n"
         "        e[i] = h\n"
         "        grad[i] = 1.1 * (f(x + e) - f(x - e)) / (2 * h)\n"
         "    return grad", "numerical_gradient"),
    )
    (result,) = myengine.run(ROOT, [path])
    assert result.status == "FAIL" and result.check == "FAIL"
    failed, passed = result.engine_tests.split(", ")
    assert failed.endswith(" failed") and int(failed.split()[0]) > 10, result.engine_tests
    assert any("test_finite_differences.py" in line for line in result.details)


@pytest.mark.oracle
def test_a_students_op_runs_the_engines_op_tests(tmp_path):
    path = _notebook(tmp_path / "mul.ipynb", (SETUP_OPS, None), (MUL, "Mul"))
    result = subprocess.run([sys.executable, "-m", "graders", "my-engine", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Your engine: 1 of 1 pieces are yours, 1 of them pass." in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("Mul "))
    assert row.split()[1:3] == ["02", "pass"]
    assert re.search(r"(\d+) passed$", row) and int(re.search(r"(\d+) passed$", row)[1]) > 10
