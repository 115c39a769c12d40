"""Load a student's pieces from their notebook, without a kernel.

Only two kinds of code cell run, in notebook order, in one fresh namespace: cells made of
imports only (the chapter's setup) and exercise cells (solution cells that name a piece).
Demos, plots and quizzes do not run. The student's code is registered with ``linecache`` so
tracebacks show its lines.
"""

from __future__ import annotations

import ast
import contextlib
import io
import linecache
from dataclasses import dataclass
from pathlib import Path

from .. import notebook as nbk


@dataclass
class Loaded:
    name: str
    notebook: Path
    obj: object = None
    error: str | None = None  # the exercise cell (or a setup cell) failed
    written: bool = True  # False while the stub `raise NotImplementedError()` is still there


def _imports_only(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body)


def _is_stub(source: str) -> bool:
    return "YOUR CODE HERE" in source and "NotImplementedError" in source


def _run_cell(source: str, filename: str, namespace: dict) -> str | None:
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec")
        with contextlib.redirect_stdout(io.StringIO()):
            exec(code, namespace)
    except Exception as exc:  # the student's cell failed: keep going, report it
        return f"{type(exc).__name__}: {exc}"
    return None


def load_pieces(path: Path) -> dict[str, Loaded]:
    """{piece name: Loaded} for every exercise in the notebook at ``path``."""
    path = Path(path)
    nb = nbk.read(path)
    namespace: dict = {"__name__": f"__gradbook_{path.stem.replace('-', '_')}__"}
    loaded: dict[str, Loaded] = {}
    setup_error = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        filename = f"<{path.name}, cell {i}>"
        piece = nbk.piece_of(cell)
        if piece is None:
            if _imports_only(cell.source):
                error = _run_cell(cell.source, filename, namespace)
                setup_error = setup_error or (error and f"setup cell {i}: {error}")
            continue
        item = Loaded(piece, path, written=not _is_stub(cell.source))
        error = _run_cell(cell.source, filename, namespace)
        if error or setup_error:
            item.error = error or setup_error
        elif piece not in namespace:
            item.error = f"the exercise cell does not define `{piece}`"
        else:
            item.obj = namespace[piece]
        loaded[piece] = item
    return loaded
