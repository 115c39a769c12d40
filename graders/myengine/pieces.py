"""Every engine piece an exercise can build, and how ``gradbook my-engine`` tests it.

A piece has up to two kinds of test:

* ``check``: the chapter's visible check (``module:function``), run on the student's piece;
* ``slot``: where the piece goes in the engine, and the engine's own tests to run with the
  student's piece in it. ``substitute`` slots use ``engine.substitute`` (op classes and
  ``topological_order``); ``attribute`` slots replace a module attribute (through an
  adapter when the exercise's signature differs from the engine's).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Slot:
    kind: str  # "substitute" | "attribute"
    target: str  # substitute: the piece's name in engine.substitute; attribute: "module:name"
    tests: tuple[str, ...]  # pytest arguments, relative to the project folder
    adapter: str | None = None  # "module:function" turning the student's piece into the target


@dataclass(frozen=True)
class Piece:
    name: str
    chapter: str
    what: str
    check: str | None = None
    slot: Slot | None = None
    extra: dict = field(default_factory=dict)


_FD_TESTS = ("tests/engine/test_finite_differences.py",)
# An op's values and gradients, against PyTorch and finite differences. (Its node's name and
# next_functions layout are PyTorch conventions the op classes learn later: not selected.)
_OP_TESTS = ("tests/engine/test_finite_differences.py", "tests/engine/test_ops_oracle.py")

PIECES = {p.name: p for p in [
    Piece("central_difference", "01", "the slope of a function of one number",
          check="graders.checks.ch01:central_difference"),
    Piece("numerical_gradient", "01", "the gradient of a function of a vector, numerically",
          check="graders.checks.ch01:numerical_gradient",
          slot=Slot("attribute", "engine.testing:numerical_grad", _FD_TESTS,
                    adapter="graders.myengine.adapters:numerical_grad_from")),
    Piece("Mul", "02", "the multiplication op: forward and backward",
          check="graders.checks.ch02:Mul",
          slot=Slot("substitute", "Mul", _OP_TESTS + ("-k", "mul and not matmul and not grad_fn"))),
    Piece("Add", "02", "the addition op: forward and backward",
          check="graders.checks.ch02:Add",
          slot=Slot("substitute", "Add", _OP_TESTS + ("-k", "add and not grad_fn"))),
    Piece("edges_for", "02", "the edges apply gives a new node (its next_functions)",
          check="graders.checks.ch02:edges_for"),
    Piece("topological_order", "03", "the order in which backward visits the graph",
          check="graders.checks.ch03:topological_order",
          slot=Slot("substitute", "topological_order",
                    ("tests/engine/test_backward.py", "tests/engine/test_training.py"))),
    Piece("run_backward", "03", "the backward loop: run each node, sum what meets",
          check="graders.checks.ch03:run_backward"),
    # --- chapter 04 ---
    # --- chapter 05 ---
    # --- chapter 06 ---
    # --- chapter 07 ---
    # --- chapter 08 ---
    # --- chapter 09 ---
    # --- chapter 10 ---
    # --- chapter 11 ---
    # --- chapter 12 ---
]}


def resolve(spec: str):
    """The object named by ``"package.module:attribute"``."""
    import importlib

    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)
