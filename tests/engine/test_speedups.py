"""The optional compiled modules (engine._speedups): loaded only while fresh, off on request.

`make test` runs the engine suite twice: on the pure-Python engine, then on the compiled one
(with GRADBOOK_EXPECT_COMPILED=1, so a build that silently failed is a test failure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine import _compile, _pgo_train, _speedups
from engine.autograd.function import Function

ROOT = Path(__file__).resolve().parents[2]


def _status_in_subprocess(**env) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("GRADBOOK_PURE",)}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", "import engine, engine._speedups as s; "
                          "print(s.status())"], cwd=ROOT, env=environ, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_this_run_uses_the_engine_it_says():
    status = _speedups.status()
    if os.environ.get("GRADBOOK_EXPECT_COMPILED"):
        assert status.startswith("compiled"), status
        assert engine.autograd.function.__file__.endswith(".so")
        assert engine._tensor.__file__.endswith(".so")
        # The C core (engine/_core.pyx) is in place of Function.apply.
        assert status.endswith(", C core)"), status
        # Where GCC can make one, `make speedups` made a profile-guided build: a training
        # run that failed would otherwise leave a plain build without a word in the tests.
        if _compile._why_not_guided() is None:
            assert "profile-guided" in status, status
        assert _compile.fresh() is not None  # so `make speedups` will not rebuild it
        assert Function.__dict__["apply"].__func__ is sys.modules["engine._core"].apply
        saving = engine.autograd.function.BackwardFunction.__dict__["save_for_backward"]
        assert saving is sys.modules["engine._core"].save_for_backward
        for name, method in sys.modules["engine._core"].unary_methods.items():
            assert engine.Tensor.__dict__[name] is method, name
        for name, method in sys.modules["engine._core"].operator_methods.items():
            assert engine.Tensor.__dict__[name] is method, name
    elif os.environ.get("GRADBOOK_PURE"):
        assert status.startswith("pure Python (off"), status
        assert engine.autograd.function.__file__.endswith(".py")
        assert "engine._core" not in sys.modules
        assert Function.__dict__["apply"].__func__.__module__ == "engine.autograd.function"


def test_the_c_methods_keep_the_python_signatures():
    """inspect.signature (and so help(t.mean)) reads the same in both engines."""
    import inspect

    from engine._tensor_ops import TensorOps

    for name in ("__add__", "__rmul__", "__pow__", "mean", "sum"):
        method, python = getattr(engine.Tensor, name), TensorOps.__dict__[name]
        names = [p.name for p in inspect.signature(method).parameters.values()]
        assert names == [p.name for p in inspect.signature(python).parameters.values()], name
        assert inspect.signature(method).parameters.get("dim", None) == (
            inspect.signature(python).parameters.get("dim", None)), name


def test_pure_on_request():
    assert _status_in_subprocess(GRADBOOK_PURE="1") == "pure Python (off (GRADBOOK_PURE is set))"


@pytest.mark.skipif(not _speedups.MANIFEST.exists(), reason="not built: run `make speedups`")
def test_a_fresh_build_is_loaded():
    assert _status_in_subprocess().startswith("compiled (")


def _fake_build(tmp_path, monkeypatch, sha):
    compiled = tmp_path / "_compiled"
    (compiled / "autograd").mkdir(parents=True)
    ext = compiled / "autograd" / "graph.fake.so"
    ext.write_bytes(b"not really compiled")
    manifest = {"python": sys.implementation.cache_tag, "modules": {
        "engine.autograd.graph": {"source": "engine/autograd/graph.py",
                                  "extension": "autograd/graph.fake.so", "sha256": sha}}}
    (compiled / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(_speedups, "COMPILED_DIR", compiled)
    monkeypatch.setattr(_speedups, "MANIFEST", compiled / "manifest.json")
    monkeypatch.setattr(_speedups, "_state", {"active": {}, "stale": [], "reason": "-"})
    monkeypatch.delenv("GRADBOOK_PURE", raising=False)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))


def test_a_stale_build_is_ignored_with_a_warning(tmp_path, monkeypatch):
    _fake_build(tmp_path, monkeypatch, sha="0" * 64)  # not the source's hash: edited since
    finders = len(sys.meta_path)
    with pytest.warns(UserWarning, match=r"engine\.autograd\.graph are out of date.*make speedups"):
        _speedups.activate()
    assert len(sys.meta_path) == finders
    assert _speedups._state["stale"] == ["engine.autograd.graph"]


def test_a_fresh_entry_is_found_by_the_finder(tmp_path, monkeypatch):
    source = ROOT / "engine" / "autograd" / "graph.py"
    _fake_build(tmp_path, monkeypatch, sha=_speedups.source_hash(source))
    _speedups.activate()
    finder = sys.meta_path[0]
    spec = finder.find_spec("engine.autograd.graph")
    assert spec is not None and spec.origin.endswith("graph.fake.so")
    assert finder.find_spec("engine.autograd.function") is None


def test_a_build_for_another_python_is_ignored(tmp_path, monkeypatch):
    _fake_build(tmp_path, monkeypatch, sha="0" * 64)
    manifest = json.loads(_speedups.MANIFEST.read_text())
    manifest["python"] = "cpython-00"
    _speedups.MANIFEST.write_text(json.dumps(manifest))
    _speedups.activate()
    assert _speedups._state["active"] == {} and "cpython-00" in _speedups._state["reason"]


def test_the_core_is_stale_once_a_source_it_copies_changes(tmp_path, monkeypatch):
    """The C core copies paths of function.py: editing that file (not only _core.pyx) must
    stop the core from loading, or it would run the old code."""
    package = tmp_path / "engine"
    (package / "autograd").mkdir(parents=True)
    (package / "_core.pyx").write_text("# the core\n")
    (package / "autograd" / "function.py").write_text("# apply\n")
    (package / "_compiled").mkdir()
    (package / "_compiled" / "_core.fake.so").write_bytes(b"not really compiled")
    monkeypatch.setattr(_speedups, "PACKAGE_DIR", package)
    monkeypatch.setattr(_speedups, "COMPILED_DIR", package / "_compiled")
    monkeypatch.setattr(_speedups, "MANIFEST", package / "_compiled" / "manifest.json")
    monkeypatch.delenv("GRADBOOK_PURE", raising=False)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    mirrors = ["engine/autograd/function.py"]
    entry = {"source": "engine/_core.pyx", "extension": "_core.fake.so", "mirrors": mirrors,
             "sha256": _speedups.entry_hash(package / "_core.pyx", mirrors)}
    _speedups.MANIFEST.write_text(json.dumps(
        {"python": sys.implementation.cache_tag, "modules": {"engine._core": entry}}))

    monkeypatch.setattr(_speedups, "_state", {"active": {}, "stale": [], "reason": "-"})
    _speedups.activate()
    assert list(_speedups._state["active"]) == ["engine._core"]

    (package / "autograd" / "function.py").write_text("# apply, edited\n")
    monkeypatch.setattr(_speedups, "_state", {"active": {}, "stale": [], "reason": "-"})
    with pytest.warns(UserWarning, match=r"engine\._core are out of date"):
        _speedups.activate()
    assert _speedups._state["active"] == {} and _speedups._state["stale"] == ["engine._core"]
    assert not _speedups.install_core()


def _fake_compiler(tmp_path, about: str, version: str) -> str:
    fake = tmp_path / "cc"
    fake.write_text(f"#!/bin/sh\nif [ \"$1\" = -dumpfullversion ]; then echo {version}; "
                    f"else printf '%s\\n' '{about}'; fi\n")
    fake.chmod(0o755)
    return str(fake)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fake compiler is a sh script")
def test_a_profile_guided_build_needs_gcc_10_on_linux(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", _fake_compiler(tmp_path, "clang version 17.0.6", "17.0.6"))
    assert "not GCC" in _compile._why_not_guided()
    monkeypatch.setenv("CC", _fake_compiler(
        tmp_path, "gcc (GCC) 9.4.0 Copyright (C) 2019 Free Software Foundation, Inc.", "9.4.0"))
    assert _compile._why_not_guided() == "needs GCC 10 or newer, this is 9.4.0"
    monkeypatch.setenv("CC", _fake_compiler(
        tmp_path, "gcc (GCC) 12.2.0 Copyright (C) 2022 Free Software Foundation, Inc.", "12.2.0"))
    assert _compile._why_not_guided() is None
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    assert "could not run the compiler" in _compile._why_not_guided()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _compile._why_not_guided() == "needs GCC on Linux, this is darwin"


def test_the_training_run_refuses_the_pure_engine():
    environ = dict(os.environ, GRADBOOK_PURE="1")
    done = subprocess.run([sys.executable, "-m", "engine._pgo_train"], cwd=ROOT, env=environ,
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "the compiled modules are not loaded" in done.stderr


def test_the_training_program_runs_and_trains():
    # It runs on whichever engine this is; its fit must actually fit (y = 3x + 0.5).
    assert _pgo_train.two_parameter_fit() == pytest.approx((3.0, 0.5), abs=1e-4)
    _pgo_train.train()


def test_make_speedups_rebuilds_only_a_stale_build(tmp_path, monkeypatch):
    import numpy

    package = tmp_path / "engine"
    (package / "_compiled").mkdir(parents=True)
    (package / "ops.py").write_text("# an op\n")
    (package / "_core.pyx").write_text("# the core\n")
    for name in ("ops.fake.so", "_core.fake.so"):
        (package / "_compiled" / name).write_bytes(b"not really compiled")
    monkeypatch.setattr(_compile, "PACKAGE_DIR", package)
    monkeypatch.setattr(_compile, "COMPILED_DIR", package / "_compiled")
    monkeypatch.setattr(_compile, "MANIFEST", package / "_compiled" / "manifest.json")
    monkeypatch.setattr(_compile, "MODULES", ["ops.py"])
    monkeypatch.setattr(_compile, "CORE", "_core.pyx")
    monkeypatch.setattr(_compile, "_why_not_guided", lambda: None)  # GCC here
    assert _compile.fresh() is None  # never built

    def write(**changes):
        manifest = {"python": sys.implementation.cache_tag, "numpy": numpy.__version__,
                    "profile_guided": True, "modules": {
                        "engine.ops": {"source": "engine/ops.py", "extension": "ops.fake.so",
                                       "sha256": _speedups.source_hash(package / "ops.py")},
                        "engine._core": {"source": "engine/_core.pyx",
                                         "extension": "_core.fake.so",
                                         "sha256": _speedups.source_hash(package / "_core.pyx")}}}
        manifest.update(changes)
        _compile.MANIFEST.write_text(json.dumps(manifest))

    write()
    assert _compile.fresh() == "profile-guided"
    write(numpy="0.0.1")  # the core is compiled against NumPy's C API
    assert _compile.fresh() is None
    write(python="cpython-00")
    assert _compile.fresh() is None
    write(profile_guided=False)  # a plain build where a guided one can be made: rebuild
    assert _compile.fresh() is None
    monkeypatch.setattr(_compile, "_why_not_guided", lambda: "the compiler is not GCC")
    assert _compile.fresh() == "plain"
    write()
    (package / "ops.py").write_text("# an op, edited\n")
    assert _compile.fresh() is None
