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
    Piece("Sum", "04", "the sum over some dimensions: its backward copies grad_output back",
          check="graders.checks.ch04:Sum",
          slot=Slot("substitute", "Sum",
                    _OP_TESTS + ("-k", "(sum_dim or sum_0d_dim) and not grad_fn"))),
    Piece("Pow", "04", "x ** c for a number c (the engine's PowScalar): the power rule",
          check="graders.checks.ch04:Pow",
          slot=Slot("substitute", "PowScalar",
                    _OP_TESTS + ("-k", "(pow_2 or pow_3 or pow_half or pow_neg or pow_0 or "
                                       "square_at_0) and not rpow and not grad_fn"))),
    # --- chapter 05 ---
    Piece("accumulate_grad", "05", "AccumulateGrad's rule: store the first gradient, add the next",
          check="graders.checks.ch05:accumulate_grad",
          slot=Slot("substitute", "accumulate_grad",
                    ("tests/engine/test_backward.py", "tests/engine/test_autograd_api.py",
                     "tests/engine/test_optim.py", "tests/engine/test_training.py"))),
    Piece("accumulation_step", "05", "a training step on micro-batches, equal to one big batch",
          check="graders.checks.ch05:accumulation_step"),
    # --- chapter 06 ---
    # The bare decorator @no_grad (no parentheses) needs a __new__ the exercise leaves out.
    Piece("no_grad", "06", "switch recording off: a context manager and a decorator",
          check="graders.checks.ch06:no_grad",
          slot=Slot("attribute", "engine:no_grad",
                    ("tests/engine/test_grad_mode.py",
                     "--deselect",
                     "tests/engine/test_grad_mode.py::test_decorators[no_grad-outside]",
                     "--deselect",
                     "tests/engine/test_grad_mode.py::test_decorators[no_grad-inside_no_grad]",
                     "tests/engine/test_inplace.py::test_manual_sgd_step_under_no_grad",
                     "tests/engine/test_inplace.py::test_inplace_on_a_leaf_is_allowed_under_no_grad",
                     "tests/engine/test_seeds.py::test_lab_prints_what_the_lesson_prints"))),
    Piece("detach", "06", "a tensor's values, in its memory, without its history",
          check="graders.checks.ch06:detach",
          slot=Slot("substitute", "detach",
                    ("tests/engine/test_recording.py::test_detach_shares_data_but_not_the_graph",
                     "tests/engine/test_recording.py::test_detach_of_a_non_leaf",
                     "tests/engine/test_recording.py::test_gradient_flows_around_a_detached_tensor",
                     "tests/engine/test_inplace.py::test_a_view_shares_its_base_version_counter",
                     "tests/engine/test_rounding.py",
                     "tests/engine/test_seeds.py::test_lab_prints_what_the_lesson_prints",
                     "tests/engine/test_seeds.py::test_control_flow_with_a_random_scalar"))),
    # --- chapter 07 ---
    # No slot: the engine's own nodes also check the version of each saved tensor (chapter 11).
    Piece("SavingNode", "07", "a node's saved values: kept for backward, freed after it",
          check="graders.checks.ch07:SavingNode"),
    # --- chapter 08 ---
    Piece("unbroadcast", "08", "sums a gradient back to the shape of a broadcast input",
          check="graders.checks.ch08:unbroadcast",
          slot=Slot("substitute", "sum_to",
                    ("tests/engine/test_finite_differences.py", "tests/engine/test_ops_oracle.py",
                     "tests/engine/test_backward.py", "-k", "broadcast or expand"))),
    Piece("MatMul", "08", "the product of two matrices: forward and backward",
          check="graders.checks.ch08:MatMul",
          slot=Slot("substitute", "Mm",
                    _OP_TESTS + ("-k", "(mm or matmul_2d_2d or matmul_1d_2d) and not grad_fn"))),
    Piece("SGD", "08", "the optimizer: zero_grad and step, with momentum and weight decay",
          check="graders.checks.ch08:SGD",
          slot=Slot("attribute", "engine.optim:SGD",
                    ("tests/engine/test_optim.py", "tests/engine/test_training.py", "-k",
                     "sgd and not nesterov and not dampening and not maximize and not "
                     "state_dict or zero_grad"))),
    # --- chapter 09 ---
    Piece("Softplus", "09", "a custom Function: softplus with a number argument, recomputing "
          "in backward", check="graders.checks.ch09:Softplus"),
    Piece("gradcheck", "09", "compares a backward's Jacobian with central differences",
          check="graders.checks.ch09:gradcheck",
          slot=Slot("attribute", "engine.autograd:gradcheck",
                    ("tests/engine/test_gradcheck.py", "tests/engine/test_custom_function.py",
                     "-k", "gradgradcheck_pass or pytorchs_words or numbers_inputs or "
                           "silu_matches"),
                    adapter="graders.myengine.adapters:gradcheck_from")),
    # --- chapter 10 ---
    Piece("checkpoint", "10", "run a segment now, keep its inputs, run it again in backward",
          check="graders.checks.ch10:checkpoint",
          slot=Slot("attribute", "engine.utils.checkpoint:checkpoint",
                    ("tests/engine/test_checkpoint.py",),
                    adapter="graders.myengine.adapters:checkpoint_from")),
    Piece("checkpoint_sequential", "10", "a stack of layers in checkpointed segments",
          check="graders.checks.ch10:checkpoint_sequential",
          slot=Slot("attribute", "engine.utils.checkpoint:checkpoint_sequential",
                    ("tests/engine/test_checkpoint.py", "-k", "sequential"))),
    # --- chapter 11 ---
    Piece("fit_line", "11", "the line fit, repaired: gradients cleared, losses as numbers",
          check="graders.checks.ch11:fit_line"),
    Piece("train_network", "11", "a training loop repaired: no in-place change of a saved "
          "tensor", check="graders.checks.ch11:train_network"),
    Piece("fit_distance", "11", "a training loop repaired: no NaN from a square root at 0",
          check="graders.checks.ch11:fit_distance"),
    # --- chapter 12 ---
    # The engine's ops bind engine.backend.array_module when they load: no slot for it.
    Piece("array_module", "12", "the array module (NumPy or CuPy) of an array: every op's xp",
          check="graders.checks.ch12:array_module"),
    Piece("LogSumExp", "12", "log(sum(exp(x))) without overflow, written once for NumPy and CuPy",
          check="graders.checks.ch12:LogSumExp",
          slot=Slot("substitute", "LogSumExp", _OP_TESTS + ("-k", "logsumexp and not grad_fn")),
          extra={"devices": True}),
    Piece("common_device", "12", "where an op on arrays of several devices runs, or the error",
          check="graders.checks.ch12:common_device",
          slot=Slot("attribute", "engine.backend:common_device",
                    ("tests/engine/test_devices.py", "-k", "mixing or scalar or inplace")),
          extra={"devices": True}),
]}


def resolve(spec: str):
    """The object named by ``"package.module:attribute"``."""
    import importlib

    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)
