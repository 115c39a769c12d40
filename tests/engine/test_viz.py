"""engine.viz: the pictures say what the graph is.

The tests read the DOT text (never pixels): node labels, edge lists, the highlighted node of
each backward step. Expected graphs come from the test's own walk of ``next_functions``, from
hand-written expectations for the small cases, and from PyTorch for the MLP.
"""

from __future__ import annotations

import re
import shutil
import sys
import types
import xml.etree.ElementTree as ET
from collections import deque

import numpy as np
import pytest

import engine

graphviz = pytest.importorskip("graphviz", reason="engine.viz needs the graphviz package")
from engine import viz  # noqa: E402
from engine.viz._format import array_text  # noqa: E402
from engine.viz.steps import _ready_queue_order  # noqa: E402

# -- reading DOT ------------------------------------------------------------------------------

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_NODE = re.compile(r"^\s*(\w+) \[(.*)\]$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")


def _unquote(value):
    if value.startswith('"'):
        value = value[1:-1]
    return value.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _attrs(text):
    return {k: _unquote(v) for k, v in _ATTR.findall(text or "")}


def parse(picture, legend=False):
    """``(nodes, edges)``: ``{id: attrs}`` in order, and ``[(src, dst, attrs)]`` in order.
    The legend's nodes and edges are left out unless ``legend``."""
    nodes, edges = {}, []
    for line in picture.source.splitlines():
        m = _EDGE.match(line)
        if m:
            src, dst, attrs = m.group(1), m.group(2), _attrs(m.group(3))
            if legend or not src.startswith("legend_"):
                edges.append((src, dst, attrs))
            continue
        m = _NODE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            if legend or not m.group(1).startswith("legend_"):
                nodes[m.group(1)] = _attrs(m.group(2))
    return nodes, edges


def labels(nodes, prefix):
    return {i: a["label"] for i, a in nodes.items() if re.fullmatch(prefix + r"\d+", i)}


def edge_pairs(edges, kind=None):
    return [(s, d) for s, d, a in edges if kind is None or a.get("class") == kind]


def classes(attrs):
    return attrs.get("class", "").split()


def bfs(root):
    """The test's own walk: backward nodes in BFS order from ``root.grad_fn``."""
    order, seen, queue = [], {root.grad_fn}, deque([root.grad_fn])
    while queue:
        node = queue.popleft()
        order.append(node)
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    return order


def expected_edges(root):
    """The graph view's edges, from the engine's own ``next_functions``."""
    order = bfs(root)
    index = {node: k for k, node in enumerate(order)}
    edges = [("out0", "n0")]
    for k, node in enumerate(order):
        if type(node).__name__ == "AccumulateGrad":
            edges.append((f"n{k}", f"leaf{k}"))
        for i, (child, _) in enumerate(node.next_functions):
            edges.append((f"n{k}", f"cut{k}_{i}" if child is None else f"n{index[child]}"))
    return edges


def assert_graph_is(picture, root):
    nodes, edges = parse(picture)
    order = bfs(root)
    assert labels(nodes, "n") == {f"n{k}": node.name() for k, node in enumerate(order)}
    assert edge_pairs(edges, None) == expected_edges(root)
    for k, node in enumerate(order):
        if node.name() == "AccumulateGrad":
            leaf = node.variable
            assert nodes[f"leaf{k}"]["label"].split("\n")[1] == (
                f"{tuple(leaf.shape)} {leaf.dtype.name}"
            )
    return nodes, edges


# -- the graph view -------------------------------------------------------------------------------


def test_product_summed():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = engine.tensor([4.0, 5.0, 6.0], requires_grad=True)
    loss = (x * w).sum()
    picture = viz.draw(loss)
    assert isinstance(picture, graphviz.Digraph)
    nodes, edges = parse(picture)
    assert labels(nodes, "n") == {
        "n0": "SumBackward0", "n1": "MulBackward0", "n2": "AccumulateGrad", "n3": "AccumulateGrad",
    }
    assert nodes["out0"]["label"] == "loss\n() float32"
    assert nodes["leaf2"]["label"] == "x\n(3,) float32"  # next_functions order: x, then w
    assert nodes["leaf3"]["label"] == "w\n(3,) float32"
    assert edge_pairs(edges) == [
        ("out0", "n0"), ("n0", "n1"), ("n1", "n2"), ("n1", "n3"), ("n2", "leaf2"), ("n3", "leaf3"),
    ]
    assert classes(nodes["out0"]) == ["output"] and classes(nodes["leaf2"]) == ["leaf"]
    assert_graph_is(picture, loss)


def _control_flow(a):
    b = a * 2
    iterations = 0
    while b.norm() < 1000:
        b = b * 2
        iterations += 1
    c = b if b.sum() > 0 else 100 * b
    return c, iterations


@pytest.mark.parametrize("sign, extra", [(1.0, 1), (-1.0, 2)])
def test_control_flow_records_one_mul_per_iteration(sign, extra):
    a = engine.tensor([0.5 * sign, 0.25 * sign], requires_grad=True)
    c, iterations = _control_flow(a)
    nodes, _ = assert_graph_is(viz.draw(c.sum()), c.sum())
    muls = [i for i, label in labels(nodes, "n").items() if label == "MulBackward0"]
    assert iterations == 10
    assert len(muls) == iterations + extra  # a*2, one per loop, and 100*b on the else branch


def test_detached_branch_is_cut():
    x = engine.tensor(3.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    nodes, edges = assert_graph_is(viz.draw(z), z)
    assert labels(nodes, "n") == {"n0": "MulBackward0", "n1": "AccumulateGrad"}
    # no path from z to y's MulBackward0: the only Mul is z's own
    assert z.grad_fn.next_functions[0] == (None, 0) and y.grad_fn not in bfs(z)
    cut = [(s, d, a) for s, d, a in edges if a.get("class") == "cut"]
    assert [(s, d) for s, d, _ in cut] == [("n0", "cut0_0")]
    assert cut[0][2]["style"] == "dashed" and cut[0][2]["color"].startswith("grey")
    assert nodes["cut0_0"]["label"] == "no grad" and classes(nodes["cut0_0"]) == ["cut"]
    legend, _ = parse(viz.draw(z), legend=True)
    assert "legend_cut" in legend and "detached" in legend["legend_cut"]["label"]
    assert "legend_cut" not in parse(viz.draw(z, legend=False), legend=True)[0]


def test_reused_leaf_has_one_accumulator_and_two_edges():
    x = engine.tensor([1.0, -2.0], requires_grad=True)
    y = x * x
    nodes, edges = assert_graph_is(viz.draw(y), y)
    assert labels(nodes, "n") == {"n0": "MulBackward0", "n1": "AccumulateGrad"}
    assert edge_pairs(edges, "next") == [("n0", "n1"), ("n0", "n1")]
    assert nodes["leaf1"]["label"] == "x\n(2,) float32"


def _mlp(lib, seed=0):
    rng = np.random.default_rng(seed)
    data = {k: rng.standard_normal(s).astype(np.float32)
            for k, s in {"x": (5, 3), "y": (5, 2), "W1": (3, 4), "b1": (4,),
                         "W2": (4, 2), "b2": (2,)}.items()}
    t = {k: lib.tensor(v, requires_grad=k not in "xy") for k, v in data.items()}
    h = (t["x"] @ t["W1"] + t["b1"]).relu()
    out = h @ t["W2"] + t["b2"]
    loss = ((out - t["y"]) ** 2).mean()
    return loss, t


def test_mlp_graph_and_names():
    loss, t = _mlp(engine)
    W1, b1, W2, b2 = t["W1"], t["b1"], t["W2"], t["b2"]  # names guessed from these locals
    nodes, _ = assert_graph_is(viz.draw(loss), loss)
    leaves = sorted(a["label"] for i, a in nodes.items() if i.startswith("leaf"))
    assert leaves == ["W1\n(3, 4) float32", "W2\n(4, 2) float32", "b1\n(4,) float32",
                      "b2\n(2,) float32"]
    del W1, b1, W2, b2
    nodes, _ = parse(viz.draw(loss, params={"layer1.weight": t["W1"]}, names=False))
    leaves = sorted(a["label"].split("\n")[0] for i, a in nodes.items() if i.startswith("leaf"))
    assert leaves == ["layer1.weight", "leaf", "leaf", "leaf"]
    t["b2"].name = "bias2"
    nodes, _ = parse(viz.draw(loss, names=False))
    assert "bias2" in [a["label"].split("\n")[0] for a in nodes.values()]


def test_names_from_a_module_variable():
    class Model:  # anything with named_parameters(), like an nn.Module
        def __init__(self):
            self.weight = engine.tensor([1.0, 2.0], requires_grad=True)

        def named_parameters(self):
            yield "layer.weight", self.weight

    model = Model()
    nodes, _ = parse(viz.draw((model.weight * 2).sum()))
    assert nodes["leaf2"]["label"] == "model.layer.weight\n(2,) float32"


@pytest.mark.oracle
def test_mlp_graph_matches_pytorch():
    torch = pytest.importorskip("torch")
    loss, _ = _mlp(engine)
    tloss, _ = _mlp(torch)
    nodes, _ = parse(viz.draw(loss))
    ours = [nodes[f"n{k}"]["label"] for k in range(len(labels(nodes, "n")))]
    assert ours == [type(node).__name__ for node in bfs(tloss)]


def test_multiple_outputs():
    x = engine.tensor(2.0, requires_grad=True)
    a, b = x * 2, x + 1
    nodes, edges = parse(viz.draw([a, b]))
    assert nodes["out0"]["label"].startswith("a\n") and nodes["out1"]["label"].startswith("b\n")
    assert labels(nodes, "n") == {"n0": "MulBackward0", "n1": "AddBackward0",
                                  "n2": "AccumulateGrad"}
    assert ("out0", "n0") in edge_pairs(edges) and ("out1", "n1") in edge_pairs(edges)


# -- the values view --------------------------------------------------------------------------


def test_values_before_and_after_backward():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    w = engine.tensor([3.0, -1.0], requires_grad=True)
    loss = (x * w).sum()
    nodes, edges = parse(viz.draw(loss, view="values"))
    assert nodes["leaf2"]["label"] == "x\n(2,) float32\ndata: [1., 2.]\ngrad: not computed"
    assert nodes["leaf3"]["label"] == "w\n(2,) float32\ndata: [ 3., -1.]\ngrad: not computed"
    assert nodes["v0"]["label"] == "loss\n() float32\ndata: 1\ngrad: not retained"
    assert labels(nodes, "op") == {"op0": "Sum", "op1": "Mul"}
    assert edge_pairs(edges, "data") == [
        ("op0", "v0"), ("op1", "v1"), ("v1", "op0"), ("leaf2", "op1"), ("leaf3", "op1"),
    ]
    loss.backward()
    nodes, _ = parse(viz.draw(loss, view="values"))
    assert nodes["leaf2"]["label"].endswith("grad: " + array_text(w.detach().numpy()))
    assert nodes["leaf3"]["label"].endswith("grad: [1., 2.]")
    x.grad.zero_()
    nodes, _ = parse(viz.draw(loss, view="values"))
    assert nodes["leaf2"]["label"].endswith("grad: [0., 0.]")  # zero, not "not computed"


def test_values_show_kept_intermediates_and_retained_grads():
    x = engine.tensor(2.0, requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = (y * y) ** 2
    nodes, _ = parse(viz.draw(z, view="values"))
    ops = labels(nodes, "op")
    assert ops == {"op0": "Pow", "op1": "Mul", "op2": "Mul"}
    assert nodes["v2"]["label"] == "y\n() float32\ndata: 6\ngrad: not computed"
    assert nodes["v1"]["label"].startswith("value\n() float32\ndata: 36")  # saved by Pow
    z.backward()
    nodes, _ = parse(viz.draw(z, view="values"))
    assert nodes["v2"]["label"].endswith("grad: " + array_text(y.grad.numpy()))


# -- saved tensors ------------------------------------------------------------------------------


def test_saved_tensors_when_asked():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    w = engine.tensor([3.0, 4.0], requires_grad=True)
    loss = (x * w).exp().sum()
    assert not [i for i in parse(viz.draw(loss))[0] if i.startswith("s")]
    nodes, edges = parse(viz.draw(loss, show_saved=True))
    assert labels(nodes, "n")["n1"] == "ExpBackward0" and labels(nodes, "n")["n2"] == "MulBackward0"
    saved = {i: a["label"] for i, a in nodes.items() if i.startswith("s")}
    assert saved == {"s1_0": "saved result\n(2,) float32", "s2_0": "saved input x\n(2,) float32",
                     "s2_1": "saved input w\n(2,) float32"}
    dashed = [(s, d) for s, d, a in edges if a.get("class") == "saved"]
    assert dashed == [("n1", "s1_0"), ("n2", "s2_0"), ("n2", "s2_1")]
    assert all(a["style"] == "dashed" for s, d, a in edges if a.get("class") == "saved")
    values, _ = parse(viz.draw(loss, view="values", show_saved=True))
    assert values["s2_1"]["label"] == "saved input w\n(2,) float32\n[3., 4.]"
    loss.backward()  # frees them
    nodes, _ = parse(viz.draw(loss, show_saved=True))
    assert nodes["s1_0"]["label"].startswith("saved tensors freed")


def test_saved_tensor_modified_in_place_is_flagged():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    w = engine.tensor([3.0, 4.0], requires_grad=True)
    a = x * 1
    y = a * w
    a.add_(1)
    nodes, _ = parse(viz.draw(y, show_saved=True))
    assert nodes["s0_0"]["label"] == (
        "saved input a\n(2,) float32\nmodified in-place\n(version 1, saved at 0)"
    )


# -- large graphs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("view, prefix", [("graph", "n"), ("values", "op")])
def test_long_chain_is_capped(view, prefix):
    x = engine.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 1.01
    nodes, edges = parse(viz.draw(y, view=view, max_nodes=60))
    kept = labels(nodes, prefix)
    assert len(kept) == 60
    assert set(kept.values()) == ({"Mul"} if view == "values" else {"MulBackward0"})
    assert nodes["more"]["label"] == "… 141 more"  # 200 muls + 1 AccumulateGrad - 60
    to_more = [(s, d) for s, d in edge_pairs(edges) if "more" in (s, d)]
    assert to_more == ([("n59", "more")] if view == "graph" else [("more", "op59")])
    assert "more" not in parse(viz.draw(y, max_nodes=None))[0]


# -- the backward, step by step -----------------------------------------------------------------


def _diamond():
    x = engine.tensor([0.5, -1.5], requires_grad=True)
    w = engine.tensor(2.0, requires_grad=True)
    a = x * w
    b = a.exp()
    c = a * 3
    loss = (b + c).sum() + (w * w)
    return loss


def _real_backward(loss):
    """The engine's real order and gradients, recorded with hooks on every node."""
    order, incoming, passed = [], {}, {}
    handles = []
    for node in _all_nodes(loss):
        def pre(grad_outputs, node=node):
            order.append(node)
            incoming[node] = tuple(None if g is None else g.numpy().copy() for g in grad_outputs)

        def post(grad_inputs, grad_outputs, node=node):
            passed[node] = tuple(None if g is None else g.numpy().copy() for g in grad_inputs)

        handles.append(node.register_prehook(pre))
        handles.append(node.register_hook(post))
    loss.backward()
    for h in handles:
        h.remove()
    return order, incoming, passed


def _all_nodes(loss):
    return bfs(loss)


@pytest.mark.parametrize("make", [_diamond, lambda: _mlp(engine)[0]], ids=["diamond", "mlp"])
@pytest.mark.parametrize("view", ["graph", "values"])
def test_backward_steps_follow_the_engine(make, view):
    loss = make()
    leaves = [n.variable for n in _all_nodes(loss) if n.name() == "AccumulateGrad"]
    pictures = list(viz.backward_steps(loss, view=view))
    assert all(leaf.grad is None for leaf in leaves)  # nothing accumulated
    ready_queue = _ready_queue_order([loss.grad_fn])  # PyTorch's rule, written out
    order, incoming, passed = _real_backward(loss)  # the graph was not freed by the steps
    assert [p.step.node for p in pictures] == order == ready_queue
    index = {node: k for k, node in enumerate(bfs(loss))}
    for k, picture in enumerate(pictures):
        step = picture.step
        assert (step.index, step.total) == (k, len(order))
        nodes, edges = parse(picture)
        current = [i for i, a in nodes.items() if "current" in classes(a)]
        done = {i for i, a in nodes.items() if "done" in classes(a)}
        node = step.node
        acc = node.name() == "AccumulateGrad"
        box = f"n{index[node]}" if view == "graph" else (
            f"leaf{index[node]}" if acc else f"op{index[node]}")
        assert current == [box]
        assert len(done) == k
        for got, want in zip(step.grad_outputs, incoming[node]):
            np.testing.assert_array_equal(got, want)
        if not acc:
            assert len(step.grad_inputs) == len(node.next_functions)
            for got, want in zip(step.grad_inputs, passed[node]):
                np.testing.assert_array_equal(got, want)
            labelled = {(s, d): a["label"] for s, d, a in edges if s == box or d == box
                        if a.get("label", "").startswith("grad")}
            for i, (child, _) in enumerate(node.next_functions):
                if child is None:
                    continue
                want = "grad: " + array_text(passed[node][i])
                assert want in labelled.values()
        if view == "graph":
            assert nodes[box]["label"].split("\n")[1].startswith(
                "grad in: " + array_text(incoming[node][0]).split("\n")[0])
    for leaf in leaves:
        assert leaf.grad is not None


def test_backward_steps_leave_grads_and_retained_grads_alone():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    loss = (y * y).sum()
    steps = list(viz.backward_steps(loss))
    assert [p.step.node.name() for p in steps] == [
        "SumBackward0", "MulBackward0", "MulBackward0", "AccumulateGrad"]
    assert x.grad is None and y.grad is None
    np.testing.assert_array_equal(steps[-1].step.grad_outputs[0], [8.0, 16.0])
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 16.0])
    np.testing.assert_array_equal(y.grad.numpy(), [4.0, 8.0])


def test_execution_order_matches_the_engine_for_the_lessons():
    w = engine.tensor(2.0, requires_grad=True)
    loss = (w * 3 - 10) ** 2
    pictures = list(viz.backward_steps(loss))
    titles = [p.graph_attr["label"] for p in pictures]
    assert titles[0] == "backward step 1 of 4: PowBackward0"
    assert [p.step.node for p in pictures] == viz.execution_order(loss)
    np.testing.assert_allclose(pictures[-1].step.grad_outputs[0], -24.0)


def test_steps_of_a_long_chain_are_drawn_lazily_and_capped():
    x = engine.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 1.01
    steps = viz.backward_steps(y, max_nodes=10)
    nodes, _ = parse(next(steps))
    assert [i for i, a in nodes.items() if "current" in classes(a)] == ["n0"]
    rest = list(steps)
    assert len(rest) == 200  # 200 muls and the AccumulateGrad
    last = rest[-1]
    assert last.graph_attr["label"].endswith("(not drawn: beyond max_nodes)")
    assert not [i for i, a in parse(last)[0].items() if "current" in classes(a)]
    np.testing.assert_allclose(last.step.grad_outputs[0], 1.01**200, rtol=1e-4)


def test_steps_need_the_graph():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        viz.backward_steps(loss)
    with pytest.raises(RuntimeError, match="does not require grad"):
        viz.backward_steps(engine.tensor(1.0))


def test_show_steps_without_ipywidgets(monkeypatch, capsys):
    display = pytest.importorskip("IPython.display")
    shown = []
    monkeypatch.setattr(display, "display", lambda obj: shown.append(obj))
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets -> ImportError
    x = engine.tensor(3.0, requires_grad=True)
    assert viz.show_steps(x * x * 2) is None
    assert [p.step.node.name() for p in shown] == ["MulBackward0", "MulBackward0",
                                                   "AccumulateGrad"]
    shown.clear()
    viz.show_steps(x * x * 2, limit=2)
    assert len(shown) == 2
    assert "… 1 more step: install ipywidgets" in capsys.readouterr().out


def test_show_steps_with_a_slider(monkeypatch):
    display = pytest.importorskip("IPython.display")
    shown = []
    monkeypatch.setattr(display, "display", lambda obj: shown.append(obj))

    class Widget:
        def __init__(self, *children, **kwargs):
            self.__dict__.update(kwargs)
            self.children = children[0] if children else ()
            self.observers = []

        def observe(self, fn, names):
            self.observers.append(fn)

        def clear_output(self, wait=False):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    fake = types.SimpleNamespace(IntSlider=Widget, Output=Widget, VBox=Widget)
    monkeypatch.setitem(sys.modules, "ipywidgets", fake)
    x = engine.tensor(3.0, requires_grad=True)
    viz.show_steps((x * 2).sum())
    box = shown[-1]
    slider, _ = box.children
    assert (slider.min, slider.max, slider.value) == (1, 3, 1)
    assert shown[0].step.index == 0
    slider.value = 3
    slider.observers[0]({"new": 3})
    assert shown[-1].step.index == 2


# -- rendering ------------------------------------------------------------------------------------


def test_renders_valid_svg_with_dot(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` program is not installed (`make test` installs it as root)")
    loss, _ = _mlp(engine)
    for legend in (False, True):
        picture = viz.draw(loss, show_saved=True, legend=legend)
        path = picture.render(tmp_path / f"mlp{legend}", format="svg")
        root = ET.parse(path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
                  if "node" in g.get("class", "").split()]
        assert len(groups) == len(parse(picture, legend=True)[0])
        assert len(groups) > 12
    bundle = picture._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_without_dot_says_how_to_install(monkeypatch, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    x = engine.tensor(2.0, requires_grad=True)
    picture = viz.draw(x * 3)
    assert "MulBackward0" in picture.source  # the DOT text is still there
    for render in (lambda: picture.render(tmp_path / "g", format="svg"),
                   lambda: picture.pipe(format="png")):
        with pytest.raises(viz.GraphvizNotFound) as info:
            render()
        message = str(info.value)
        assert isinstance(info.value, RuntimeError)
        for text in ("`dot`", "make lab", "brew install graphviz",
                     "conda install -c conda-forge graphviz", "winget install graphviz",
                     ".source"):
            assert text in message
    bundle = picture._repr_mimebundle_()  # a notebook shows the text, not a crash
    assert "brew install graphviz" in bundle["text/plain"]
    assert "MulBackward0" in bundle["text/plain"]
