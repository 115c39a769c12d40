"""Optional compiled modules: the same source, compiled with Cython, loaded when present.

The engine is plain Python, and stays the reference: students read it, and every test runs on
it. ``python -m engine._compile`` (``make speedups``) compiles the hot modules, unchanged, into
``engine/_compiled/`` with a manifest of their sources' hashes. At import, a finder loads a
compiled module in place of its source only while the source is unchanged since the build:
edit ``_tensor.py`` and its stale compiled copy is ignored (with a warning) until rebuilt.
``GRADBOOK_PURE=1`` turns the compiled modules off.

The build also makes the C core (``engine/_core.pyx``): C copies of the engine's most frequent
paths (``Function.apply`` for one- and two-argument built-ins, the usual ``loss.backward()``,
``saved_tensors``, in-place arithmetic and ``fill_`` without a graph, ``x @ w`` on 2-D
tensors, the arithmetic operators, ``t.tanh()``-like methods), installed over their
Python originals by ``install_core`` and falling back to them for every other case. It is
loaded only while it and every Python source it copies are unchanged.

Measured on the benchmarks (tests/benchmarks/NOTES.md): small graphs run ~1.8x faster.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
COMPILED_DIR = PACKAGE_DIR / "_compiled"
MANIFEST = COMPILED_DIR / "manifest.json"


def source_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entry_hash(source: Path, mirrors=()) -> str:
    """A manifest entry's hash: its source's, or, for the C core, that of its source and of
    the Python sources it copies (editing any of them makes the core stale)."""
    if not mirrors:
        return source_hash(source)
    hashes = [source_hash(source)] + [source_hash(PACKAGE_DIR.parent / m) for m in mirrors]
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


class _CompiledFinder:
    """Finds ``engine.*`` modules that have a fresh compiled copy."""

    def __init__(self, modules: dict[str, Path]):
        self.modules = modules  # "engine.autograd.function" -> its extension module

    def find_spec(self, fullname, path=None, target=None):
        ext = self.modules.get(fullname)
        if ext is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(ext))
        return importlib.util.spec_from_file_location(fullname, ext, loader=loader)


_state = {"active": {}, "stale": [], "reason": "not built (run `make speedups`)", "guided": False}


def _read_manifest() -> dict:
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if manifest.get("python") != sys.implementation.cache_tag:
        built_for, this = manifest.get("python"), sys.implementation.cache_tag
        _state["reason"] = f"built for {built_for}, this is {this}"
        return {}
    _state["guided"] = bool(manifest.get("profile_guided"))
    return manifest.get("modules", {})


def activate() -> None:
    """Install the finder for every compiled module whose source is unchanged."""
    if os.environ.get("GRADBOOK_PURE"):
        _state["reason"] = "off (GRADBOOK_PURE is set)"
        return
    fresh, stale = {}, []
    for name, entry in _read_manifest().items():
        source = PACKAGE_DIR.parent / entry["source"]
        ext = COMPILED_DIR / entry["extension"]
        try:
            unchanged = entry_hash(source, entry.get("mirrors", ())) == entry["sha256"]
        except OSError:
            unchanged = False
        if unchanged and ext.exists():
            fresh[name] = ext
        else:
            stale.append(name)
    if stale:
        warnings.warn(f"engine: compiled copies of {', '.join(sorted(stale))} are out of date and "
                      "were not loaded; run `make speedups` to rebuild them.", stacklevel=3)
    _state.update(active=fresh, stale=stale)
    if fresh:
        _state["reason"] = f"{len(fresh)} compiled modules"
        sys.meta_path.insert(0, _CompiledFinder(fresh))


def install_core() -> bool:
    """Put the C core (``engine/_core.pyx``) in place of ``Function.apply``, of the backward
    pass that ``Tensor.backward`` runs, of ``ctx.saved_tensors`` and ``ctx.save_for_backward``,
    of the no-graph paths of in-place arithmetic and ``fill_``, of ``Tensor.__matmul__``, of
    the frequent operators (``x + y``, ``x -= y``...) and of a few one-line methods
    (``t.tanh()``, ``t.mean()``...), when it is built and fresh; called once the
    engine is imported. True when installed."""
    if "engine._core" not in _state["active"]:
        return False
    from . import _core, _tensor
    from .autograd.function import BackwardFunction, Function, _NullContext

    if _tensor.run_backward is _core.run_backward:  # installed already
        return True
    Function.apply = classmethod(_core.apply)
    _tensor.run_backward = _core.run_backward
    BackwardFunction.saved_tensors = property(_core.saved_tensors,
                                              doc=BackwardFunction.saved_tensors.__doc__)
    _tensor.Tensor._arith_ = _core.arith_
    _tensor.Tensor.fill_ = _core.fill_
    _tensor.Tensor.__matmul__ = _core.matmul
    BackwardFunction.save_for_backward = _core.save_for_backward
    for name, method in _core.unary_methods.items():  # t.tanh() etc.: see _core.pyx
        setattr(_tensor.Tensor, name, method)
    for name, method in _core.operator_methods.items():  # x + y, t.mean(), x -= y...
        setattr(_tensor.Tensor, name, method)
    _NullContext.save_for_backward = _core.save_nothing
    return True


def status() -> str:
    """Which kind of engine this is: "pure Python" or
    "compiled (N modules[, profile-guided][, C core])"."""
    active = _state["active"]
    loaded = [n for n in active if getattr(sys.modules.get(n), "__file__", "").endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES))]
    if loaded:
        from .autograd.function import Function

        core = "engine._core" in loaded and Function.__dict__["apply"].__func__ is getattr(
            sys.modules["engine._core"], "apply", None)
        modules = len(loaded) - ("engine._core" in loaded)
        guided = ", profile-guided" if _state.get("guided") else ""
        return f"compiled ({modules} modules{guided}{', C core' if core else ''})"
    return f"pure Python ({_state['reason']})"
