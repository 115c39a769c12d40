"""Every notebook in course/ runs top to bottom on a fresh kernel."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import nbclient
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError, CellTimeoutError

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
NOTEBOOKS = sorted(COURSE.glob("*.ipynb"))
KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 600
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # colours in IPython tracebacks


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `python3` kernelspec that runs ipykernel on this very interpreter.

    It is written to a private Jupyter data directory placed first on JUPYTER_PATH, so a
    `python3` kernelspec elsewhere on the machine (a user's, another environment's) cannot be
    picked instead. The kernel imports `engine` from this checkout.
    """
    data_dir = tmp_path_factory.mktemp("jupyter-data")
    spec_dir = data_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (gradbook tests)",
        "language": "python",
        "env": {"PYTHONPATH": pythonpath},
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")

    with pytest.MonkeyPatch.context() as mp:
        paths = [str(data_dir), os.environ.get("JUPYTER_PATH", "")]
        mp.setenv("JUPYTER_PATH", os.pathsep.join(p for p in paths if p))
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")  # silence jupyter_core's migration warning
        yield KERNEL_NAME


def test_course_has_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks in {COURSE}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path: Path, kernel_name: str) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    failure = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        failure = _ANSI_ESCAPE.sub("", str(exc))
    if failure is not None:
        pytest.fail(f"{path.relative_to(ROOT)}: a cell failed\n{failure}", pytrace=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    stale = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not stale, f"{path.relative_to(ROOT)}: code cells {stale} have stored outputs"
