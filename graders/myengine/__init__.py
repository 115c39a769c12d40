"""``gradbook my-engine``: how much of the engine is yours, and does it pass?

For every exercise in the given notebooks, the piece the student wrote is loaded
(``loader``) and tested twice where it can be:

1. its own visible check, run here;
2. the engine's own tests, run by pytest in a separate process with the student's piece
   installed in the engine (``plugin``): an op through ``engine.substitute``, a function
   through the engine attribute it stands in for.

A piece counts as "yours" once its exercise is written and loads; "passing" when every test
it has passes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .loader import Loaded, load_pieces
from .pieces import PIECES, resolve

__all__ = ["PieceResult", "run", "report"]

ENGINE_TESTS_TIMEOUT_S = 600


@dataclass
class PieceResult:
    name: str
    chapter: str
    notebook: Path
    status: str  # "not written yet" | "does not load" | "pass" | "FAIL"
    check: str = "-"  # "pass" | "FAIL: ..." | "-"
    engine_tests: str = "-"  # "N passed" | "N failed, M passed" | "-"
    details: list[str] = field(default_factory=list)

    @property
    def yours(self) -> bool:
        return self.status in ("pass", "FAIL")


def _run_check(loaded: Loaded, spec: str) -> tuple[bool, str]:
    check = resolve(spec)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            check(loaded.obj)
    except AssertionError as exc:
        return False, str(exc)
    except Exception as exc:  # the check itself broke on this piece: report, do not crash
        return False, f"the check could not run: {type(exc).__name__}: {exc}"
    return True, out.getvalue().strip()


def _run_engine_tests(root: Path, loaded: Loaded) -> tuple[bool, str, list[str]]:
    slot = PIECES[loaded.name].slot
    missing = [t for t in slot.tests if t.endswith(".py") and not (root / t).exists()]
    if missing:
        return False, f"engine tests not found: {', '.join(missing)}", []
    with tempfile.TemporaryDirectory(prefix="gradbook-my-engine-") as tmp:
        job, result = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job.write_text(json.dumps({"notebook": str(loaded.notebook.resolve()),
                                   "piece": loaded.name, "result": str(result)}))
        env = {**os.environ, "GRADBOOK_MY_ENGINE": str(job)}
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "graders.myengine.plugin",
               "-p", "no:cacheprovider", *slot.tests]
        try:
            proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True,
                                  timeout=ENGINE_TESTS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return False, f"the engine tests took over {ENGINE_TESTS_TIMEOUT_S} s", []
        if not result.exists():
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            return False, "the engine tests could not run", tail
        counts = json.loads(result.read_text())
    summary = f"{counts['passed']} passed"
    if counts["failed"]:
        summary = f"{counts['failed']} failed, " + summary
    ok = counts["failed"] == 0 and counts["passed"] > 0
    return ok, summary, counts["failures"]


def run(root: Path, notebooks: list[Path]) -> list[PieceResult]:
    results = []
    for path in notebooks:
        for name, loaded in load_pieces(Path(path)).items():
            piece = PIECES.get(name)
            chapter = piece.chapter if piece else "?"
            result = PieceResult(name, chapter, Path(path), "pass")
            results.append(result)
            if piece is None:
                result.status = "does not load"
                result.details = [f"`gradbook my-engine` does not know the piece {name!r}"]
            elif not loaded.written:
                result.status = "not written yet"
            elif loaded.obj is None:
                result.status = "does not load"
                result.details = [loaded.error or "unknown error"]
            else:
                _test(root, piece, loaded, result)
    return results


def _test(root, piece, loaded, result) -> None:
    ok = True
    if piece.check:
        passed, text = _run_check(loaded, piece.check)
        ok &= passed
        result.check = "pass" if passed else "FAIL"
        if not passed:
            result.details.append(text)
    if piece.slot:
        passed, summary, failures = _run_engine_tests(Path(root), loaded)
        ok &= passed
        result.engine_tests = summary
        result.details += failures
    result.status = "pass" if ok else "FAIL"


def report(results: list[PieceResult]) -> str:
    yours = [r for r in results if r.yours]
    passing = [r for r in yours if r.status == "pass"]
    head = (f"Your engine: {len(yours)} of {len(results)} pieces are yours, "
            f"{len(passing)} of them pass.")
    table = [("piece", "chapter", "status", "own check", "engine tests")]
    table += [(r.name, r.chapter, r.status, r.check, r.engine_tests) for r in results]
    widths = [max(len(row[k]) for row in table) for k in range(5)]
    lines = [head, ""]
    for n, row in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    for r in results:
        if r.details:
            lines += ["", f"--- {r.name} ({r.notebook.name}) ---", *r.details]
    return "\n".join(lines)
