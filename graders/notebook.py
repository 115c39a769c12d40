"""Chapter notebooks: reading the text sources, the cell conventions, deterministic writing.

A chapter source is a jupytext "percent" script. Cell headers carry the metadata::

    # %% nbgrader={"grade_id": "central-difference", "solution": true} gradbook={"piece": ...}

``load_source`` turns it into a notebook with nbgrader's metadata completed (schema_version,
grade/solution/task/locked defaults), fixed cell ids and fixed notebook metadata, so the same
source always gives the same notebook. ``to_bytes`` writes a notebook the same way every time.
"""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# What nbgrader itself looks for (any of these in a release means something leaked).
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME")

# The tag of a cell that runs the student's own code outside an exercise and its check (the
# "your engine" section): on a blank release such a cell may fail, like a check.
USES_YOUR_CODE = "uses-your-code"

# Cell metadata kept in a release: nbgrader's, JupyterLab's locks, tags and ours.
_CELL_METADATA = ("nbgrader", "deletable", "editable", "tags", "gradbook")
_NBGRADER_KEYS = ("grade", "grade_id", "locked", "points", "schema_version", "solution", "task")


# --- the metadata of one cell -------------------------------------------------------------

def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def gradbook(cell) -> dict:
    return cell.get("metadata", {}).get("gradbook", {}) or {}


def grade_id(cell) -> str | None:
    return nbgrader(cell).get("grade_id")


def is_solution(cell) -> bool:
    return bool(nbgrader(cell).get("solution"))


def is_graded(cell) -> bool:
    return bool(nbgrader(cell).get("grade"))


def piece_of(cell) -> str | None:
    """The engine piece an exercise cell builds (``gradbook={"piece": ...}``)."""
    return gradbook(cell).get("piece") if is_solution(cell) else None


def checked_piece(cell) -> str | None:
    """The piece a visible check cell checks (``gradbook={"checks": ...}``)."""
    return gradbook(cell).get("checks") if is_graded(cell) else None


def exercises(nb) -> list[tuple[int, dict]]:
    """(index, cell) of every exercise: a solution cell that names the piece it builds."""
    return [(i, c) for i, c in enumerate(nb.cells) if piece_of(c)]


def check_cell_of(nb, index: int) -> tuple[int, dict] | None:
    """The first code cell after cell ``index``, when it is the visible check of its piece."""
    piece = piece_of(nb.cells[index])
    for j in range(index + 1, len(nb.cells)):
        cell = nb.cells[j]
        if cell.cell_type != "code":
            continue
        return (j, cell) if checked_piece(cell) == piece else None
    return None


def regions(source: str, begin: str, end: str) -> list[str]:
    """The text between each ``begin`` line and the next ``end`` line (markers excluded)."""
    found, current = [], None
    for line in source.splitlines():
        if begin in line and current is None:
            current = []
        elif end in line and current is not None:
            found.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        found.append("\n".join(current))
    return found


def outside_regions(source: str) -> str:
    """``source`` without its solution and hidden-test regions (what a student may see)."""
    kept, inside = [], False
    for line in source.splitlines():
        if SOLUTION_BEGIN in line or HIDDEN_BEGIN in line:
            inside = True
        elif SOLUTION_END in line or HIDDEN_END in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def headings(nb) -> list[str]:
    """The text of every markdown heading line (``#`` to ``######``) in order."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = re.finditer(r"^#{1,6}\s+(.*)$", cell.source, re.M)
            found += [m.group(1).strip() for m in lines]
    return found


# --- reading a source, writing a notebook ---------------------------------------------------

def load_source(path: Path):
    """The notebook of a jupytext percent source, metadata completed, ids fixed."""
    import jupytext  # imported here: students' checks never need it

    nb = jupytext.read(Path(path), fmt="py:percent")
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is not None:
            cell.metadata["nbgrader"] = _complete_nbgrader(meta)
        cell.source = cell.source.rstrip()
    return normalize(nb)


def _complete_nbgrader(meta: dict) -> dict:
    full = {"grade": False, "solution": False, "task": False, "schema_version": 3, **meta}
    full.setdefault("locked", not full["solution"])
    return {k: full[k] for k in sorted(full)}


def normalize(nb):
    """A copy of ``nb`` that depends only on its cells: no outputs, fixed ids and metadata."""
    nb = copy.deepcopy(nb)
    seen: dict[str, int] = {}
    for cell in nb.cells:
        cell.metadata = {k: cell.metadata[k] for k in _CELL_METADATA if k in cell.metadata}
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"] = _clean_nbgrader(cell.metadata["nbgrader"])
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.pop("attachments", None)
        cell.id = _unique(grade_id(cell) or _content_id(cell), seen)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def _clean_nbgrader(meta: dict) -> dict:
    # nbgrader's own cell_type/checksum are kept: autograde compares them.
    return {k: meta[k] for k in sorted(meta) if k in _NBGRADER_KEYS + ("cell_type", "checksum")}


def _content_id(cell) -> str:
    digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()
    return f"c{digest[:8]}"


def _unique(name: str, seen: dict[str, int]) -> str:
    seen[name] = seen.get(name, 0) + 1
    return name if seen[name] == 1 else f"{name}-{seen[name]}"


def to_bytes(nb) -> bytes:
    """The notebook as JSON bytes, identical for identical notebooks."""
    nbformat.validate(nb)
    return (nbformat.writes(nb, version=4).rstrip("\n") + "\n").encode("utf-8")


def read(path: Path):
    return nbformat.read(Path(path), as_version=4)
