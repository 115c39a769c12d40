"""The trusted verdict: check the sandbox's document, compare, score every graded cell.

The document's messages come from the student's process and are treated as data: each must
match the schema below, or the affected items score 0 and the submission is flagged. What can
earn points is only ever (a) a piece's observation, compared here with the reference's
(``graders.probes.compare`` or the probe module's ``COMPARE``), and (b) the quiz answers, as
strings, compared here with the key. A piece observed twice, or answers recorded twice, means
someone wrote on the channel: 0 for that item.

Messages (one JSON object each): ``hello`` (the runner's limits, before any student code),
``start`` / ``cell`` (a cell began / ended: ``status`` ok, error, timeout, memory or exit),
``piece`` (``name`` and ``observation`` or ``error``), ``answers``, ``done``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import chapter as chapters
from .chapter import ChapterSpec

MAX_DEPTH = 64
MAX_PROBLEMS = 12  # failing cases listed per graded cell
_STATUSES = {"ok", "error", "timeout", "memory", "exit"}


@dataclass
class CellResult:
    id: str
    kind: str  # "check" | "key" | "manual"
    points: float
    score: float
    status: str  # "pass" | "fail" | "manual"
    subject: str | None = None  # the piece or the question
    problems: list[str] = field(default_factory=list)  # for feedback: never expected values
    hint: str | None = None


def _depth_ok(value, depth=0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _depth_ok(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_depth_ok(v, depth + 1) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def read_messages(messages, pieces: set[str]):
    """(observations, answers, cells, last_started, notes) from the runner's messages.

    ``observations``: piece -> observation, or a string saying why there is none
    (``"tampered"``, an error). ``answers``: dict, None (never recorded) or "tampered".
    """
    observations: dict = {}
    answers = None
    cells: dict[str, dict] = {}
    started = None
    notes: list[str] = []
    bad = 0
    for m in messages if isinstance(messages, list) else []:
        kind = m.get("kind") if isinstance(m, dict) else None
        if kind in ("hello", "done"):
            continue
        if kind == "start" and isinstance(m.get("id"), str):
            started = m["id"]
            cells.setdefault(started, {"status": "started", "error": ""})
        elif (kind == "cell" and isinstance(m.get("id"), str) and m.get("status") in _STATUSES
              and (m.get("error") is None or isinstance(m.get("error"), str))):
            cells[m["id"]] = {"status": m["status"], "error": (m.get("error") or "")[:300]}
        elif kind == "piece" and m.get("name") in pieces:
            name = m["name"]
            if name in observations:
                observations[name] = "tampered: observed more than once"
                notes.append(f"tampered: the piece {name} was reported twice")
            elif "observation" in m and _depth_ok(m["observation"]):
                observations[name] = {"value": m["observation"]}
            elif isinstance(m.get("error"), str):
                observations[name] = f"the observation failed: {m['error'][:200]}"
            else:
                observations[name] = "tampered: a malformed observation"
        elif kind == "answers" and isinstance(m.get("answers"), dict):
            if answers is not None:
                answers = "tampered"
                notes.append("tampered: the quiz answers were reported twice")
            elif all(isinstance(k, str) and (v is None or isinstance(v, str))
                     for k, v in m["answers"].items()):
                answers = m["answers"]
            else:
                answers = "tampered"
        elif kind == "runner-error" and isinstance(m.get("error"), str):
            notes.append(f"the sandbox could not start the notebook: {m['error'][:200]}")
        else:
            bad += 1
    if bad:
        notes.append(f"tampered: {bad} unexpected message(s) on the result channel")
    return observations, answers, cells, started, notes


def score(spec: ChapterSpec, observations: dict, answers, seed: int,
          cell_status: dict[str, dict]) -> list[CellResult]:
    exercise_of = {piece: gid for gid, piece in spec.exercises.items()}
    wanted = {g.piece for g in spec.graded if g.kind == "check"}
    expected = chapters.expected(spec, seed) if wanted & set(observations) else {}
    results = []
    for g in spec.graded:
        if g.kind == "check":
            results.append(_check(spec, g, observations.get(g.piece), expected.get(g.piece),
                                  cell_status.get(exercise_of.get(g.piece, ""), {})))
        elif g.kind == "key":
            results.append(_key(g, spec.key[g.question], answers))
        else:
            results.append(CellResult(g.id, "manual", g.points, 0.0, "manual",
                                      problems=["graded by hand"]))
    return results


def _check(spec, g, observed, expected, cell) -> CellResult:
    result = CellResult(g.id, "check", g.points, 0.0, "fail", subject=g.piece)
    if observed is None:
        status = cell.get("status")
        if status == "started":
            result.problems = ["the run stopped during the exercise cell"]
        elif status and status != "ok":
            result.problems = [f"the exercise cell failed ({status}): {cell.get('error', '')}"]
        elif status == "ok":
            result.problems = [f"the exercise cell does not define `{g.piece}`"]
        else:
            result.problems = ["the exercise cell did not run"]
    elif isinstance(observed, str):
        result.problems = [observed]
    elif not expected:
        result.problems = ["no reference observation (a grader problem: tell the instructor)"]
    else:
        compare, rtol, atol = chapters.comparator(spec, g.piece)
        try:
            problems = compare(expected, observed["value"], rtol, atol)
        except Exception as exc:  # a malformed observation must not crash the grader
            problems = [f"the observation could not be compared ({type(exc).__name__})"]
        if problems:
            result.problems = problems[:MAX_PROBLEMS] + (
                [f"... and {len(problems) - MAX_PROBLEMS} more"]
                if len(problems) > MAX_PROBLEMS else [])
        else:
            result.score, result.status = g.points, "pass"
    if result.status == "fail":
        result.hint = chapters.hint(spec, g.piece)
    return result


def _key(g, letter: str, answers) -> CellResult:
    result = CellResult(g.id, "key", g.points, 0.0, "fail", subject=g.question)
    if answers == "tampered":
        result.problems = [f"{g.question}: the answers were tampered with"]
    elif not isinstance(answers, dict) or answers.get(g.question) is None:
        result.problems = [f"{g.question}: no answer recorded"]
    elif answers[g.question].strip().lower() == letter:
        result.score, result.status = g.points, "pass"
    else:
        result.problems = [f"{g.question}: answered {answers[g.question].strip()[:20]!r}, "
                           f"which is not right"]
    return result
