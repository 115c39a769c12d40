"""The visible checks of chapters 02 and 03: the reference pieces pass, common mistakes get a
verdict that names the case, the input, expected vs got and a hint aimed at the mistake."""

from __future__ import annotations

import numpy as np

import engine
from engine import Tensor
from engine.autograd import ArrayFunction, Function
from engine.autograd.engine_loop import sum_to_shape
from engine.autograd.graph import AccumulateGrad, accumulator_of
from graders.checks import ch02, ch03

from ._check_helpers import assert_readable, failure_of

# --- reference pieces (as in solutions/02 and 03) --------------------------------------------


class Mul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a


class Add(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


def edges_for(args):
    edges = []
    for arg in args:
        if isinstance(arg, Tensor) and arg.requires_grad:
            edges.append((arg.grad_fn, arg.output_nr) if arg.grad_fn is not None
                         else (accumulator_of(arg), 0))
        else:
            edges.append((None, 0))
    return edges


def topological_order(roots):
    incoming, stack, seen = {}, list(roots), set(roots)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None:
                incoming[child] = incoming.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    order, ready = [], [n for n in dict.fromkeys(roots) if incoming.get(n, 0) == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for child, _ in node.next_functions:
            if child is not None:
                incoming[child] -= 1
                if incoming[child] == 0:
                    ready.append(child)
    return order


def input_shapes(node):
    return [m[0] if m is not None else None
            for m, e in zip(node._input_meta, node._edges) if e is not None]


def run_backward(loss, *, add_up=True, at_every_edge=True, no_grad=True):
    """The reference loop; the flags switch on common mistakes."""
    grads = {loss.grad_fn: np.ones_like(loss.detach().numpy())}
    guard = engine.no_grad() if no_grad else engine.enable_grad()
    with guard:
        for node in topological_order([loss.grad_fn]):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if isinstance(node, AccumulateGrad):
                leaf = node.variable
                if not at_every_edge:
                    grad = sum_to_shape(grad, tuple(leaf.shape))
                if leaf.grad is None:
                    leaf.grad = engine.tensor(grad)
                else:
                    leaf.grad += grad
                continue
            out = node.apply(grad)
            out = out if isinstance(out, tuple) else (out,)
            for (child, _), g, shape in zip(node.next_functions, out, input_shapes(node)):
                if child is None or g is None:
                    continue
                if at_every_edge:
                    g = sum_to_shape(g, shape)
                grads[child] = grads[child] + g if (add_up and child in grads) else g


def test_reference_pieces_pass(capsys):
    ch02.Mul(Mul)
    ch02.Add(Add)
    ch02.edges_for(edges_for)
    ch03.topological_order(topological_order)
    ch03.run_backward(run_backward)
    out = capsys.readouterr().out
    for line in ("✓ Mul: all 10 cases pass.", "✓ Add: all 8 cases pass.",
                 "✓ edges_for: all 7 cases pass.", "✓ topological_order: all 7 cases pass.",
                 "✓ run_backward: all 8 cases pass."):
        assert line in out


# --- Mul and Add ----------------------------------------------------------------------------

def _op(forward, backward, name="Op"):
    return type(name, (ArrayFunction,), {"forward": staticmethod(forward),
                                         "backward": staticmethod(backward)})


def _saving_mul(backward):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b
    return _op(forward, backward)


def test_swapped_gradients_are_named():
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * a, g * b
    message = failure_of(ch02.Mul, _saving_mul(backward))
    assert_readable(message, "Mul")
    assert "case 1 of 10" in message and "a.grad = 3.0" in message and "swapped" in message


def test_forgetting_grad_output_is_named():
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return b + 0 * g, a + 0 * g
    message = failure_of(ch02.Mul, _saving_mul(backward))
    assert_readable(message, "Mul")
    assert "case 2 of 10" in message and "multiply by grad_output" in message


def test_inputs_kept_on_ctx_instead_of_saved_are_caught():
    def forward(ctx, a, b):
        ctx.kept = (a, b)
        return a * b

    def backward(ctx, g):
        a, b = ctx.kept
        return g * b, g * a
    message = failure_of(ch02.Mul, _op(forward, backward))
    assert_readable(message, "Mul")
    assert "case 9 of 10" in message and "ctx.save_for_backward(a, b)" in message


def test_numpy_functions_in_backward_fail_the_recorded_pass():
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return np.multiply(g, b), np.multiply(g, a)
    message = failure_of(ch02.Mul, _saving_mul(backward))
    assert_readable(message, "Mul", expected=False)
    assert "case 10 of 10" in message and "create_graph" in message
    assert "Python operators only" in message


def test_summing_inside_backward_is_explained():
    message = failure_of(ch02.Add, _op(lambda ctx, a, b: a + b, lambda ctx, g: (g, g.sum())))
    assert_readable(message, "Add", expected=False)
    assert "the engine sums each one back to its input's shape" in message


def test_one_gradient_for_two_inputs_is_explained():
    message = failure_of(ch02.Add, _op(lambda ctx, a, b: a + b, lambda ctx, g: g))
    assert_readable(message, "Add", expected=False)
    assert "incorrect number of gradients" in message and "(grad_output, grad_output)" in message


def test_ones_instead_of_grad_output_is_named():
    message = failure_of(ch02.Add, _op(lambda ctx, a, b: a + b,
                                     lambda ctx, g: (np.ones_like(g), np.ones_like(g))))
    assert "case 2 of 8" in message and "pass on grad_output" in message


def test_an_unwritten_op_says_so():
    def stub(*args):
        raise NotImplementedError()
    message = failure_of(ch02.Mul, _op(stub, stub))
    assert "NotImplementedError: `Mul` is not written yet" in message


def test_a_tensor_level_function_is_refused_before_it_recurses():
    class TensorMul(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b
    message = failure_of(ch02.Mul, TensorMul)
    assert "ArrayFunction" in message and "case" not in message.splitlines()[0]


# --- edges_for ------------------------------------------------------------------------------

def test_a_hand_made_accumulator_is_caught():
    def made(args):
        return [(AccumulateGrad(a), 0) if isinstance(a, Tensor) and a.requires_grad
                and a.grad_fn is None else (getattr(a, "grad_fn", None), 0) for a in args]
    message = failure_of(ch02.edges_for, made)
    assert_readable(message, "edges_for")
    assert "a new AccumulateGrad, not the leaf's own" in message and "accumulator_of" in message


def test_output_nr_is_checked():
    def always_zero(args):
        return [(nr_node, 0) for nr_node, _ in edges_for(args)]
    message = failure_of(ch02.edges_for, always_zero)
    assert "case 6 of 7" in message and "(TwoWaysBackward of q, 1)" in message
    assert "output_nr" in message


def test_constants_must_get_no_edge():
    def every_tensor(args):
        return [(accumulator_of(a), 0) if isinstance(a, Tensor) and a.grad_fn is None
                else (getattr(a, "grad_fn", None), 0) for a in args]
    message = failure_of(ch02.edges_for, every_tensor)
    assert "case 3 of 7" in message and "does not require grad gets (None, 0)" in message


# --- topological_order ----------------------------------------------------------------------

def test_breadth_first_order_is_caught_on_uneven_paths():
    def bfs(roots):
        order, seen, queue = [], set(), list(roots)
        while queue:
            node = queue.pop(0)
            if node not in seen:
                seen.add(node)
                order.append(node)
                queue += [c for c, _ in node.next_functions if c is not None]
        return order
    message = failure_of(ch03.topological_order, bfs)
    assert_readable(message, "topological_order")
    assert "case 4 of 7" in message
    assert "ExpBackward0 (b = a.exp()) before MulBackward0 (a = x * 2)" in message


def test_recursion_fails_on_a_long_chain_with_a_hint():
    def recursive(roots):
        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for child, _ in node.next_functions:
                    if child is not None:
                        visit(child)
                order.append(node)
        for root in roots:
            visit(root)
        return order[::-1]
    message = failure_of(ch03.topological_order, recursive)
    assert "case 7 of 7" in message and "RecursionError" in message and "use a loop" in message


def test_duplicates_and_missing_nodes_are_named():
    def no_seen_set(roots):
        order, queue = [], list(roots)
        while queue:
            node = queue.pop()
            order.append(node)
            queue += [c for c, _ in node.next_functions if c is not None]
        return order
    message = failure_of(ch03.topological_order, no_seen_set)
    assert "case 3 of 7" in message and "MulBackward0 (y = x * 2) 3 times" in message
    message = failure_of(ch03.topological_order, lambda roots: list(roots))
    assert "1 node, without MulBackward0 (z = y * 3)" in message


# --- run_backward ---------------------------------------------------------------------------

def test_calling_the_engines_backward_is_refused():
    message = failure_of(ch03.run_backward, lambda loss: loss.backward())
    assert "case 1 of 8" in message and "do not call loss.backward()" in message


def test_replacing_instead_of_adding_is_caught():
    message = failure_of(ch03.run_backward, lambda loss: run_backward(loss, add_up=False))
    assert_readable(message, "run_backward")
    assert "case 3 of 8" in message and "x.grad = 10.0" in message
    assert "got:      x.grad = 4.0" in message and "three gradients reach y's node" in message


def test_undoing_broadcasting_only_at_leaves_fails_in_the_middle():
    message = failure_of(ch03.run_backward, lambda loss: run_backward(loss, at_every_edge=False))
    assert "case 6 of 8" in message and "on every edge, not only at leaves" in message


def test_a_recorded_loop_is_caught():
    message = failure_of(ch03.run_backward, lambda loss: run_backward(loss, no_grad=False))
    assert "recorded (it requires grad)" in message and "engine.no_grad()" in message


def test_ops_from_chapter_02_falls_back_to_the_engines_own(tmp_path, capsys):
    from engine.ops import binary

    ops = ch03.ops_from_chapter_02(tmp_path)
    assert ops == {"Mul": binary.Mul, "Add": binary.Add}
    out = capsys.readouterr().out
    assert "Mul: the engine's own (02-the-recorded-graph.ipynb is not in" in out
