"""Static checks of a student's exercise cells, for the instructor's review (never a score).

* **Provenance**: a piece that merely calls the engine's own implementation of what it should
  build (``numerical_gradient`` calling ``engine.testing.numerical_grad``, ``Mul`` applying the
  engine's ``Mul``, ...) passes its observations without being the student's work. Each probe
  module lists, per piece, the names that give this away (``FORBIDDEN``): a dotted name such as
  ``"engine.testing"`` matches any use of it or of anything inside it, after resolving the
  imports of the chapter's setup cells and of the cell itself (``from engine.testing import
  numerical_grad as ng`` then ``ng(...)``); ``".backward"`` matches that attribute on anything.
* **Suspicious constructs**: the dynamic tricks that would hide such a call from this check or
  reach into the grading machinery (``exec``, ``eval``, ``__import__``, ``importlib``,
  ``getattr`` with a computed name, ``sys.modules``, ``gc``, ``inspect``, ``ctypes``, ``os``,
  ``subprocess``, ``signal``, ``graders`` ...).

Both are heuristics over the source: they flag, they do not prove or punish.
"""

from __future__ import annotations

import ast
import importlib

SUSPICIOUS_NAMES = {
    "exec", "eval", "compile", "__import__", "globals", "vars", "setattr", "delattr",
    "breakpoint", "open", "__builtins__", "__class__", "__subclasses__", "__globals__",
    "__code__", "__dict__", "__loader__",
}
SUSPICIOUS_MODULES = {
    "importlib", "sys", "gc", "inspect", "ctypes", "os", "subprocess", "signal", "builtins",
    "socket", "threading", "multiprocessing", "pickle", "marshal", "types", "graders",
    "IPython", "pathlib", "shutil", "io",
}


def _aliases(sources: list[str]) -> dict[str, str]:
    """Local name -> dotted name, from the imports in ``sources``."""
    names = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        names[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node, aliases) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    head = aliases.get(node.id, node.id)
    return ".".join([head, *reversed(parts)])


def _uses(source: str, setup: list[str]) -> tuple[set[str], set[str], set[str]]:
    """(dotted names used, attribute names used, imported modules) of ``source``."""
    tree = ast.parse(source)
    aliases = _aliases([*setup, source])
    dotted, attributes, modules = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            name = _dotted(node, aliases)
            if name:
                dotted.add(name)
            if isinstance(node, ast.Attribute):
                attributes.add(node.attr)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                modules.add(alias.name)
                dotted.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            dotted.update(f"{node.module}.{a.name}" for a in node.names)
    return dotted, attributes, modules


def _matches(pattern: str, dotted: set[str], attributes: set[str]) -> bool:
    if pattern.startswith("."):
        return pattern[1:] in attributes
    return any(name == pattern or name.startswith(pattern + ".") for name in dotted)


def forbidden_names(probes: str) -> dict[str, tuple[str, ...]]:
    try:
        module = importlib.import_module(probes)
    except ImportError:
        return {}
    return getattr(module, "FORBIDDEN", {})


def review(source: str, piece: str, forbidden: tuple[str, ...], setup: list[str]) -> list[str]:
    """Notes on one exercise cell: what it uses that the piece should not, and what looks like
    an attempt to get around the grader. Empty when nothing stands out."""
    try:
        dotted, attributes, modules = _uses(source, setup)
    except SyntaxError:
        return []
    notes = []
    hits = sorted(p.lstrip(".") for p in forbidden if _matches(p, dotted, attributes))
    if hits:
        notes.append(f"provenance: `{piece}` uses {', '.join(hits)} (the engine's own "
                     f"implementation?)")
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | attributes
    # what the cell reaches by itself (names the chapter's setup cells import are the course's)
    own, _, _ = _uses(source, [])
    setup_names = set(_aliases(setup))
    own = {d for d in own if d.split(".")[0] not in setup_names or d in modules}
    odd = sorted(SUSPICIOUS_NAMES & names)
    odd += sorted(m for m in modules if m.split(".")[0] in SUSPICIOUS_MODULES)
    odd += sorted({d for d in own if d.split(".")[0] in SUSPICIOUS_MODULES} - set(modules))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "getattr" and len(node.args) > 1
                and not isinstance(node.args[1], ast.Constant)):
            odd.append("getattr with a computed name")
            break
    if odd:
        unique = list(dict.fromkeys(odd))
        notes.append(f"suspicious: the `{piece}` cell uses {', '.join(unique[:8])}"
                     + (" ..." if len(unique) > 8 else ""))
    return notes
