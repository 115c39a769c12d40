"""A pytest plugin that puts one of a student's pieces into the engine for a whole test run.

``gradbook my-engine`` runs ``python -m pytest -p graders.myengine.plugin TESTS`` with
``GRADBOOK_MY_ENGINE`` naming a JSON file: ``{"notebook", "piece", "result"}``. Before the
tests are collected the piece is loaded from the notebook and installed (``engine.substitute``
or a module attribute); the counts of passed/failed tests and the first failures are written
to ``result``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
from pathlib import Path

ENV = "GRADBOOK_MY_ENGINE"
_state: dict = {}


def _quick_hypothesis() -> None:
    """Property tests find a wrong piece fast, but shrinking every failure to its smallest
    example can take minutes; a student needs the verdict, so: no shrinking, no database.
    Loaded when this plugin is imported (``-p``), before the tests' settings are created."""
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    settings.register_profile("gradbook-my-engine", database=None,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("gradbook-my-engine")


if os.environ.get(ENV):
    _quick_hypothesis()


@contextlib.contextmanager
def installed(piece_name: str, obj):
    """The engine with ``obj`` in the place of piece ``piece_name``, inside the block."""
    import engine

    from .pieces import PIECES, resolve

    slot = PIECES[piece_name].slot
    if slot is None:
        raise ValueError(f"piece {piece_name!r} has no place in the engine")
    if slot.kind == "substitute":
        with engine.substitute(**{slot.target: obj}):
            yield
        return
    module_name, _, attr = slot.target.partition(":")
    module = importlib.import_module(module_name)
    replacement = resolve(slot.adapter)(obj) if slot.adapter else obj
    saved = getattr(module, attr)
    setattr(module, attr, replacement)
    try:
        yield
    finally:
        setattr(module, attr, saved)


def pytest_configure(config):
    spec = os.environ.get(ENV)
    if not spec:
        return
    from .loader import load_pieces

    job = json.loads(Path(spec).read_text(encoding="utf-8"))
    loaded = load_pieces(Path(job["notebook"]))[job["piece"]]
    if loaded.obj is None:
        raise RuntimeError(f"{job['piece']} could not be loaded: {loaded.error}")
    stack = contextlib.ExitStack()
    stack.enter_context(installed(job["piece"], loaded.obj))
    _state.update(stack=stack, job=job, passed=0, failed=0, skipped=0, failures=[])


def pytest_collection_modifyitems(config, items):
    """Run the engine's tests on the CPU only, unless the piece is about devices: the tests
    parametrized over devices (``device``, or ``kind`` for property tests) also run on a
    stand-in GPU, where a piece written with NumPy alone would fail for reasons its chapter
    never taught."""
    if "job" not in _state:
        return
    from .pieces import PIECES

    if PIECES[_state["job"]["piece"]].extra.get("devices"):
        return
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_cpu = params.get("device", "cpu") == "cpu" and params.get("kind", "cpu") == "cpu"
        (keep if on_cpu else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_logreport(report):
    if "job" not in _state:
        return
    if report.failed:
        _state["failed"] += 1
        if len(_state["failures"]) < 5:
            lines = str(report.longrepr).strip().splitlines()
            _state["failures"].append(f"{report.nodeid}: {lines[-1] if lines else 'failed'}")
    elif report.when == "call" and report.passed:
        _state["passed"] += 1
    elif report.skipped:
        _state["skipped"] += 1


def pytest_sessionfinish(session, exitstatus):
    if "job" not in _state:
        return
    result = {k: _state[k] for k in ("passed", "failed", "skipped", "failures")}
    result["exitstatus"] = int(exitstatus)
    Path(_state["job"]["result"]).write_text(json.dumps(result), encoding="utf-8")


def pytest_unconfigure(config):
    stack = _state.pop("stack", None)
    if stack is not None:
        stack.close()
    _state.clear()
