"""What the grader knows about a chapter, read from its source (trusted): the cells to run, the
graded cells and their points, the pieces and their observations, the quiz key.

* **setup** cells: the source's code cells made of imports only (not nbgrader cells); they run
  from the source, whatever the student's notebook holds;
* **exercise** cells: the source's solution cells that name a piece; the student's version
  (matched by ``grade_id``) runs, and the piece is observed right after it;
* the **answers** cell (``gradbook={"quiz": "answers"}``): the student's version runs, and the
  ``answers`` dict is read after it;
* graded cells: a **check** (``gradbook={"checks": piece}``) earns its points when the piece's
  observation agrees with the reference's on every case; a quiz **key** cell
  (``gradbook={"quiz": "key"}``) when the answer to its question matches the key; any other
  graded cell cannot be judged without running instructor code in the student's process, so it
  scores 0 and is marked for manual grading.

Expected observations come from the reference solution's pieces, loaded from the source with
``graders.myengine.loader`` in this process, observed with the same seed (``reference``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .. import notebook as nbk
from ..chapters import Chapter, ChapterError


@dataclass(frozen=True)
class RunCell:
    id: str  # grade_id, or "setup-<index>"
    kind: str  # "setup" | "exercise" | "answers"
    source: str  # the source's text (setup); the student's replaces it for the other kinds
    piece: str | None = None


@dataclass(frozen=True)
class GradedCell:
    id: str
    points: float
    kind: str  # "check" | "key" | "manual"
    piece: str | None = None
    question: str | None = None


@dataclass
class ChapterSpec:
    name: str  # "01-why-gradients": nbgrader's assignment and notebook name
    number: str
    source: Path
    digest: str  # sha256 of the source and of the chapter's probe module
    run: list[RunCell]
    graded: list[GradedCell]
    key: dict[str, str]  # question -> letter
    release: dict[str, str] = field(default_factory=dict)  # grade_id -> released source
    probes: str = ""  # the probe module's import name

    @property
    def exercises(self) -> dict[str, str]:
        return {c.id: c.piece for c in self.run if c.kind == "exercise"}

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.graded)


def _imports_only(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body)


def _answers_key(source: str, where: str) -> dict[str, str]:
    regions = nbk.regions(source, nbk.SOLUTION_BEGIN, nbk.SOLUTION_END)
    for region in regions:
        try:
            tree = ast.parse(region)
        except SyntaxError as exc:
            raise ChapterError(f"{where}: the answers cell's solution region does not parse: "
                               f"{exc}") from exc
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "answers"):
                try:
                    key = ast.literal_eval(node.value)
                except ValueError as exc:
                    raise ChapterError(f"{where}: the quiz key is not a literal dict") from exc
                if isinstance(key, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in key.items()):
                    return {k: v.strip().lower() for k, v in key.items()}
    raise ChapterError(f"{where}: no `answers = {{...}}` in the answers cell's solution region")


def _question_of(source: str, gid: str, key: dict, where: str) -> str:
    """The question a key cell checks: the ``answers["qN"]`` its hidden test reads."""
    found = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    for node in ast.walk(tree) if tree else []:
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                and node.value.id == "answers" and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)):
            found.add(node.slice.value)
    if len(found) == 1:
        question = found.pop()
    elif gid.startswith("quiz-") and gid[5:] in key:
        question = gid[5:]
    else:
        raise ChapterError(f"{where}: cannot tell which question key cell {gid!r} checks")
    if question not in key:
        raise ChapterError(f"{where}: key cell {gid!r} checks {question!r}, which the answers "
                           f"cell's key does not hold")
    return question


def load_spec(chapter: Chapter, course_dir: Path | None = None) -> ChapterSpec:
    """The grading spec of ``chapter`` (its source), with the released cells for comparison."""
    where = chapter.source.name
    source_nb = nbk.load_source(chapter.source)
    run, graded, answers_source = [], [], None
    for i, cell in enumerate(source_nb.cells):
        if cell.cell_type != "code":
            continue
        meta, ours, gid = nbk.nbgrader(cell), nbk.gradbook(cell), nbk.grade_id(cell)
        if nbk.is_graded(cell):
            points = float(meta.get("points", 0))
            if nbk.checked_piece(cell):
                graded.append(GradedCell(gid, points, "check", piece=nbk.checked_piece(cell)))
            elif ours.get("quiz") == "key":
                graded.append(GradedCell(gid, points, "key"))
            else:
                graded.append(GradedCell(gid, points, "manual"))
        elif nbk.piece_of(cell):
            run.append(RunCell(gid, "exercise", cell.source, nbk.piece_of(cell)))
        elif nbk.is_solution(cell) and ours.get("quiz") == "answers":
            run.append(RunCell(gid, "answers", cell.source))
            answers_source = cell.source
        elif not meta and _imports_only(cell.source):
            run.append(RunCell(f"setup-{i}", "setup", cell.source))
    key = _answers_key(answers_source, where) if answers_source is not None else {}
    for n, g in enumerate(graded):
        if g.kind == "key":
            cell = next(c for c in source_nb.cells if nbk.grade_id(c) == g.id)
            graded[n] = GradedCell(g.id, g.points, "key",
                                   question=_question_of(cell.source, g.id, key, where))
    pieces = {c.piece for c in run if c.kind == "exercise"}
    for g in graded:
        if g.kind == "check" and g.piece not in pieces:
            raise ChapterError(f"{where}: check cell {g.id!r} checks {g.piece!r}, which no "
                               f"exercise cell builds")
    probes = f"graders.probes.ch{chapter.number}"
    module = _probe_module(probes, where)
    missing = sorted(p for p in pieces if not callable(getattr(module, p, None)))
    if missing:
        raise ChapterError(f"{where}: {probes.replace('.', '/')}.py has no observation for "
                           f"{', '.join(missing)}: add a function per piece (see "
                           f"graders/probes/__init__.py)")
    digest = hashlib.sha256(chapter.source.read_bytes()
                            + Path(module.__file__).read_bytes()).hexdigest()
    spec = ChapterSpec(chapter.name, chapter.number, chapter.source, digest, run, graded, key,
                       probes=probes)
    if course_dir is not None:
        released = chapter.release_path(course_dir)
        if released.exists():
            spec.release = {nbk.grade_id(c): c.source for c in nbk.read(released).cells
                            if nbk.grade_id(c)}
    return spec


def _probe_module(name: str, where: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise ChapterError(f"{where}: no observations for this chapter ({name.replace('.', '/')}"
                           f".py is missing), so it cannot be graded") from exc


# --- the reference solution's observations ----------------------------------------------------

# engine.substitute swaps module attributes, so observations must not run concurrently in one
# process (Dask's threaded workers): one at a time.
_OBSERVING = threading.Lock()


@functools.lru_cache(maxsize=32)
def _reference_pieces(source: str, digest: str) -> dict:
    from ..myengine.loader import load_pieces

    with tempfile.TemporaryDirectory(prefix="gradbook-reference-") as tmp:
        path = Path(tmp) / "reference.ipynb"
        path.write_bytes(nbk.to_bytes(nbk.load_source(Path(source))))
        loaded = load_pieces(path)
    broken = {n: item.error for n, item in loaded.items() if item.obj is None}
    if broken:
        name, error = next(iter(broken.items()))
        raise ChapterError(f"{Path(source).name}: the reference solution's {name} does not "
                           f"load: {error}")
    return {name: item.obj for name, item in loaded.items()}


def expected(spec: ChapterSpec, seed: int) -> dict:
    """{piece: the reference's observation} with this seed."""
    from ..probes._observe import observe

    pieces = _reference_pieces(str(spec.source), spec.digest)
    with _OBSERVING:
        return {name: observe(spec.number, name, obj, seed)
                for name, obj in pieces.items() if name in spec.exercises.values()}


def comparator(spec: ChapterSpec, piece: str):
    """(compare function, rtol, atol) for a piece: the probe module's own ``COMPARE`` entry
    where it has one (a piece with many right answers), else ``graders.probes.compare``."""
    from ..probes._observe import compare, tolerance

    module = importlib.import_module(spec.probes)
    rtol, atol = tolerance(spec.number, piece)
    return getattr(module, "COMPARE", {}).get(piece, compare), rtol, atol


def hint(spec: ChapterSpec, piece: str) -> str:
    module = importlib.import_module(spec.probes)
    return getattr(module, "HINTS", {}).get(
        piece, "run the visible check right after the exercise in your notebook: it shows a "
               "failing case with its expected value.")
