"""One submission in, one ``Result`` out; many of them in parallel, journaled as they finish.

``grade_submission(job)`` is the unit of work: a plain function of a plain, picklable ``Job``
(paths as strings, the seed, the limits) returning a plain ``Result``, so any
``concurrent.futures``-style executor, or a Dask cluster, can run it. It never raises: a
submission that breaks the grader itself ends with the outcome ``error`` and the batch goes
on.

``grade_batch`` runs jobs on a process pool (``workers``), a given executor or a Dask
``Client``; each result is appended to the journal (a JSON line, flushed to disk) the moment it
arrives, then handed to ``on_result`` (the gradebook) and the progress display.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

OUTCOMES = ("graded", "partial", "corrupt", "timeout", "memory", "crashed", "tampered",
            "missing", "error")
_PRIORITY = ("tampered", "timeout", "memory", "crashed")
INSTRUCTOR_ONLY = ("provenance:", "suspicious:")  # flags never shown in students' feedback


@dataclass(frozen=True)
class Job:
    student: str
    chapter: str  # the chapter's name, "01-why-gradients"
    notebook: str | None  # the submission's path; None: nothing was submitted
    root: str  # the project folder (solutions/, course/)
    seed: int
    limits: dict = field(default_factory=dict)  # sandbox.Limits fields
    hide: tuple[str, ...] = ()
    timestamp: str | None = None  # ISO 8601, UTC
    sha256: str | None = None
    name: str = ""  # from the roster
    namespaces: bool | None = None  # None: where they work
    keep_uid: bool = False  # tests of the fallback only


@dataclass
class Result:
    student: str
    chapter: str
    outcome: str
    reason: str
    score: float
    max_score: float
    cells: list[dict]
    flags: list[str] = field(default_factory=list)
    timestamp: str | None = None
    sha256: str | None = None
    digest: str | None = None  # the chapter's source + probes, as graded
    seconds: float = 0.0
    protections: dict = field(default_factory=dict)
    output: str = ""  # the start of what the notebook printed (for the instructor)
    name: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Result:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


# --- one submission -------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _spec(root: str, chapter: str):
    from ..chapters import Chapter
    from .chapter import load_spec

    return load_spec(Chapter(Path(root) / "solutions" / f"{chapter}.py"), Path(root) / "course")


def _zeros(spec, why: str) -> list[dict]:
    return [{"id": g.id, "kind": g.kind, "points": g.points, "score": 0.0, "status": "fail",
             "subject": g.piece or g.question, "problems": [why], "hint": None}
            for g in spec.graded]


def grade_submission(job: Job) -> Result:
    """Grade one submission. Never raises."""
    started = time.monotonic()
    try:
        result = _grade(job)
    except Exception as exc:  # a grader failure on this submission: say so, go on
        result = Result(job.student, job.chapter, "error",
                        f"the grader failed on this submission: {type(exc).__name__}: {exc}",
                        0.0, 0.0, [], timestamp=job.timestamp, sha256=job.sha256,
                        output=traceback.format_exc(limit=5)[-2000:])
    result.name = job.name
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _grade(job: Job) -> Result:
    from . import provenance, sandbox
    from .plan import Corrupt, plan
    from .verdict import read_messages, score

    spec = _spec(job.root, job.chapter)
    limits = sandbox.Limits(**job.limits)

    def result(outcome, reason, cells, flags=(), **extra):
        total = sum(c["score"] for c in cells)
        return Result(job.student, job.chapter, outcome, reason, total, spec.max_score, cells,
                      list(flags), job.timestamp, job.sha256, spec.digest, **extra)

    if job.notebook is None:
        return result("missing", "no submission", _zeros(spec, "no submission"))
    try:
        p = plan(spec, Path(job.notebook), limits.notebook_bytes)
    except Corrupt as exc:
        return result("corrupt", f"corrupt notebook: {exc}", _zeros(spec, f"corrupt notebook: "
                                                                          f"{exc}"))
    except OSError as exc:
        return result("corrupt", f"unreadable file: {exc.strerror}",
                      _zeros(spec, "unreadable file"))
    flags = list(p.flags)
    setup = [c.source for c in spec.run if c.kind == "setup"]
    forbidden = provenance.forbidden_names(spec.probes)
    for cell in spec.run:
        if cell.id in p.sources:  # the student's exercise and answers cells
            name = cell.piece or "answers"
            flags += provenance.review(p.sources[cell.id], name,
                                       tuple(forbidden.get(name, ())), setup)
    run = sandbox.run(Path(job.notebook), p.cells, spec.number, job.seed, limits, job.hide,
                      namespaces=job.namespaces, _keep_uid=job.keep_uid)
    extra = {"output": run.output[:4000], "protections": {"mode": run.mode}}
    if run.output_bytes > limits.output_bytes:
        flags.append(f"output truncated: {run.output_bytes:,} bytes printed, "
                     f"{limits.output_bytes:,} kept")
    if run.doc is None:
        outcome = ("timeout" if "killed" in run.problem else
                   "tampered" if "forged" in run.problem or "JSON" in run.problem
                   or "nonce" in run.problem or "larger" in run.problem else "crashed")
        return result(outcome, run.problem, _zeros(spec, run.problem), flags, **extra)
    doc = run.doc
    if isinstance(doc.get("setup_error"), str):  # the sandbox could not be built: our fault
        return Result(job.student, job.chapter, "error",
                      f"the sandbox could not be set up: {doc['setup_error'][:300]}", 0.0,
                      spec.max_score, [], flags, job.timestamp, job.sha256, spec.digest,
                      output=str(doc.get("traceback", ""))[:2000])
    messages = doc.get("messages") if isinstance(doc.get("messages"), list) else []
    extra["protections"] = _protections(run.mode, doc, messages)
    pieces = set(spec.exercises.values())
    observations, answers, cells, started, notes = read_messages(messages, pieces)
    events = _events(doc, messages, cells, started, limits, notes, observations)
    scored = score(spec, observations, answers, job.seed, cells)
    cell_dicts = [asdict(c) for c in scored]
    for gid in p.missing:
        for c in cell_dicts:
            if c["subject"] == spec.exercises.get(gid):
                c["problems"] = ["the exercise cell is missing from the notebook"]
    failed = [c["id"] for c in cell_dicts if c["status"] != "pass"]
    total = sum(c["score"] for c in cell_dicts)
    summary = f"{total:g} of {spec.max_score:g} points"
    if failed:
        summary += "; not passed: " + ", ".join(failed)
    outcome = next((o for o in _PRIORITY if any(e[0] == o for e in events)),
                   "partial" if failed else "graded")
    reason = "; ".join(dict.fromkeys([e[1] for e in events] + [summary]))
    flags += [n for n in notes if not n.startswith("tampered")]
    return result(outcome, reason, cell_dicts, flags, **extra)


def _events(doc, messages, cells, started, limits, notes, observations
            ) -> list[tuple[str, str]]:
    runner = doc.get("runner") if isinstance(doc.get("runner"), dict) else {}
    channel = doc.get("channel") if isinstance(doc.get("channel"), dict) else {}
    where = f" during cell {started}" if started else ""
    events = [("tampered", n[len("tampered: "):]) for n in notes if n.startswith("tampered")]
    if channel.get("garbage_lines"):
        events.append(("tampered", f"{channel['garbage_lines']} line(s) that are not JSON "
                                   f"messages on the result channel"))
    if channel.get("overflow"):
        events.append(("tampered", "more data than allowed on the result channel"))
    done = any(isinstance(m, dict) and m.get("kind") == "done" for m in messages)
    sig = runner.get("signal")
    if runner.get("killed"):
        events.append(("timeout", f"stopped at {runner['killed']} ({limits.notebook_s:g} s)"
                                  f"{where}"))
    elif sig == signal.SIGXCPU:
        events.append(("timeout", f"stopped at the CPU time limit ({limits.cpu_s} s){where}"))
    elif sig:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        hint = " (out of memory?)" if sig in (signal.SIGKILL, signal.SIGSEGV) else ""
        events.append(("crashed", f"the process died of {name}{hint}{where}"))
    elif not done:
        events.append(("crashed", f"the notebook ended the process (exit code "
                                  f"{runner.get('exit_code')}){where}"))
    for gid, cell in cells.items():
        if cell["status"] == "timeout":
            events.append(("timeout", f"cell {gid} ran over {limits.cell_s:g} s"))
        elif cell["status"] == "memory":
            events.append(("memory", f"cell {gid} ran out of memory"))
    for name, observed in observations.items():
        if isinstance(observed, str) and observed.startswith("the observation failed: timeout"):
            events.append(("timeout", f"{name} ran over {limits.observe_s:g} s when called"))
        elif isinstance(observed, str) and observed.startswith("the observation failed: memory"):
            events.append(("memory", f"{name} ran out of memory when called"))
    return events


def _protections(mode: str, doc: dict, messages: list) -> dict:
    found = {"mode": mode}
    if isinstance(doc.get("protections"), dict):
        found.update(doc["protections"])
    first = messages[0] if messages else None
    if isinstance(first, dict) and first.get("kind") == "hello":
        found.update({k: v for k, v in (first.get("protections") or {}).items()
                      if k in ("no_new_privs", "rlimits", "workdir")})
    return found


# --- the journal ----------------------------------------------------------------------------

class Journal:
    """Results as JSON lines, appended and flushed to disk as each submission finishes; the
    last line for a (student, chapter) wins. A line cut short by a crash is ignored."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> dict[tuple[str, str], Result]:
        found = {}
        if not self.path.exists():
            return found
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                try:
                    result = Result.from_json(json.loads(line))
                except (ValueError, TypeError):
                    continue
                found[(result.student, result.chapter)] = result
        return found

    def append(self, result: Result) -> None:
        line = json.dumps(result.to_json(), sort_keys=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())


# --- progress ---------------------------------------------------------------------------------

class Progress:
    """A progress bar on stderr: one line rewritten in place on a terminal, else one line per
    finished submission."""

    def __init__(self, total: int, stream=None):
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()

    def update(self, result: Result) -> None:
        self.done += 1
        line = (f"[{self.done}/{self.total}] {result.student} {result.chapter}: "
                f"{result.outcome} {result.score:g}/{result.max_score:g}")
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            rate = self.done / max(time.monotonic() - self.started, 1e-9) * 60
            self.stream.write(f"\r[{bar}] {line[:60]:<60} {rate:5.1f}/min")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


# --- many submissions -------------------------------------------------------------------------

def _is_dask_client(obj) -> bool:
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


def grade_batch(jobs: Iterable[Job], *, workers: int | None = None, executor=None,
                journal: Journal | None = None,
                on_result: Callable[[Result], None] | None = None,
                progress: Progress | None = None) -> list[Result]:
    """Grade ``jobs``; results in the order they finished.

    ``executor``: a ``concurrent.futures.Executor`` or a Dask ``distributed.Client``; default a
    process pool of ``workers`` (all cores when None; 1 runs everything in this process)."""
    jobs = list(jobs)
    results: list[Result] = []

    def finish(result: Result) -> None:
        if journal is not None:
            journal.append(result)
        if on_result is not None:
            on_result(result)
        if progress is not None:
            progress.update(result)
        results.append(result)

    if not jobs:
        return results
    if executor is None and (workers or os.cpu_count() or 1) == 1:
        for job in jobs:
            finish(grade_submission(job))
        return results
    if executor is not None and _is_dask_client(executor):
        from distributed import as_completed as dask_completed

        futures = {executor.submit(grade_submission, job, pure=False): job for job in jobs}
        for future in dask_completed(futures):
            finish(_outcome_of(future, futures[future]))
        return results
    from concurrent.futures import ProcessPoolExecutor, as_completed

    own = executor is None
    if own:
        import multiprocessing

        # fork: the workers need nothing of the caller's __main__ (spawn would re-run it)
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        executor = ProcessPoolExecutor(max_workers=workers or os.cpu_count(),
                                       mp_context=multiprocessing.get_context(method))
    try:
        futures = {executor.submit(grade_submission, job): job for job in jobs}
        for future in as_completed(futures):
            finish(_outcome_of(future, futures[future]))
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return results


def _outcome_of(future, job: Job) -> Result:
    try:
        return future.result()
    except Exception as exc:  # the worker itself died (not the sandbox): keep going
        return Result(job.student, job.chapter, "error",
                      f"the grading worker failed: {type(exc).__name__}: {exc}", 0.0, 0.0, [],
                      timestamp=job.timestamp, sha256=job.sha256, name=job.name)
