"""The lessons' examples (/work/shared/seeds) run on the engine print what the lessons print.

Each lab is written once against ``T`` (the library) and run on the engine; the oracle test
runs the same code on torch, so the expected text is PyTorch's own output too.
"""

from __future__ import annotations

import pytest

import engine
from engine.testing import assert_close


def lab_one_parameter(T):
    w = T.tensor(2.0, requires_grad=True)
    loss = (w * 3 - 10) ** 2
    print("loss:", loss.item())
    loss.backward()
    print("w.grad:", w.grad.item())


def lab_update_loop(T):
    w = T.tensor(2.0, requires_grad=True)
    lr = 0.1
    print("single_parameter_training")
    for step in range(1, 6):
        loss = (w * 3 - 10) ** 2
        loss.backward()
        with T.no_grad():
            w -= lr * w.grad
        print(
            f"step={step} "
            f"w={w.item():.4f} "
            f"loss={loss.item():.4f} "
            f"grad={w.grad.item():.4f}"
        )
        w.grad.zero_()


def lab_accumulation(T):
    x = T.tensor(3.0, requires_grad=True)
    y1 = x**2
    y1.backward()
    print("after first backward:", x.grad.item())
    y2 = 2 * x
    y2.backward()
    print("after second backward:", x.grad.item())
    x.grad.zero_()
    y3 = 2 * x
    y3.backward()
    print("after zero and third backward:", x.grad.item())


def lab_two_parameter_fit(T):
    x = T.tensor([1.0, 2.0, 3.0, 4.0])
    y_true = T.tensor([3.0, 5.0, 7.0, 9.0])
    w = T.tensor(0.0, requires_grad=True)
    b = T.tensor(0.0, requires_grad=True)
    lr = 0.05
    print("two_parameter_fit")
    for epoch in range(201):
        y_pred = w * x + b
        loss = ((y_pred - y_true) ** 2).mean()
        loss.backward()
        with T.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if epoch % 50 == 0:
            print(
                f"epoch={epoch:3d} "
                f"loss={loss.item():.4f} "
                f"w={w.item():.4f} "
                f"b={b.item():.4f}"
            )
        w.grad.zero_()
        b.grad.zero_()


def lab_tracking_flags(T):
    w = T.tensor(5.0, requires_grad=True)
    tracked = w * 2
    detached = tracked.detach()
    with T.no_grad():
        untracked = w * 3
    print("tracked.requires_grad:", tracked.requires_grad)
    print("detached.requires_grad:", detached.requires_grad)
    print("untracked.requires_grad:", untracked.requires_grad)


def lab_two_x_dot_x(T):
    x = T.arange(4.0)
    print(x)
    x.requires_grad_(True)
    print(x.grad)
    y = 2 * T.dot(x, x)
    print(y)
    y.backward()
    print(x.grad)
    print(x.grad == 4 * x)
    x.grad.zero_()
    y = x.sum()
    y.backward()
    print(x.grad)
    x.grad.zero_()
    y = x * x
    y.backward(gradient=T.ones(len(y)))
    print(x.grad)
    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    print(x.grad == u)
    x.grad.zero_()
    y.sum().backward()
    print(x.grad == 2 * x)


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def lab_control_flow(T):
    for value in (0.3, -0.7, 1.5):
        a = T.tensor(value, requires_grad=True)
        d = f(a)
        d.backward()
        print(a.grad == d / a)


def lab_requires_grad_graph(T):
    x = T.tensor(3.0, requires_grad=True)
    y = x**2 + 1
    print(x)
    print(y)
    x = T.tensor(3.0, requires_grad=True)
    y = x**2
    y.backward()
    print(x.grad)


def lab_dynamic_graph(T):
    def g(x):
        y = x * 2
        if y.sum() > 0:
            y = y * 3
        else:
            y = y - 100
        return y

    x = T.tensor([1.0, 2.0], requires_grad=True)
    g(x).sum().backward()
    print(x.grad)


def lab_no_grad_and_detach(T):
    x = T.tensor(3.0, requires_grad=True)
    with T.no_grad():
        y = x**2
    print(y.requires_grad)
    print(x.requires_grad)
    y = x**2
    clean = y.detach()
    print(y.requires_grad, clean.requires_grad)
    print(clean)


def lab_accumulate_twice(T):
    x = T.tensor(3.0, requires_grad=True)
    y = x**2
    y.backward()
    print(x.grad)
    y = x**2
    y.backward()
    print(x.grad)


def lab_non_scalar(T):
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x**2).sum()
    y.backward()
    print(x.grad)
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2
    y.backward(T.ones_like(y))
    print(x.grad)
    x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x**2
    y.backward(T.ones_like(y))
    print(x.grad)


def lab_accumulation_vector(T):
    x = T.tensor([1.0], requires_grad=True)
    y = (x**2).sum()
    y.backward()
    print(x.grad)
    y = (x**2).sum()
    y.backward()
    print(x.grad)
    y = (x**2).sum()
    y.backward(retain_graph=True)
    y.backward()
    print(x.grad)


def lab_no_grad_decorator(T):
    x = T.tensor([1.0], requires_grad=True)
    y = x**2
    print(y.requires_grad)
    with T.no_grad():
        y = x**2
        print(y.requires_grad)

    @T.no_grad()
    def inference(x):
        return x * 2

    print(inference(x).requires_grad)


LABS = [
    (lab_one_parameter, "loss: 16.0\nw.grad: -24.0\n"),
    (
        lab_update_loop,
        "single_parameter_training\n"
        "step=1 w=4.4000 loss=16.0000 grad=-24.0000\n"
        "step=2 w=2.4800 loss=10.2400 grad=19.2000\n"
        "step=3 w=4.0160 loss=6.5536 grad=-15.3600\n"
        "step=4 w=2.7872 loss=4.1943 grad=12.2880\n"
        "step=5 w=3.7702 loss=2.6844 grad=-9.8304\n",
    ),
    (
        lab_accumulation,
        "after first backward: 6.0\n"
        "after second backward: 8.0\n"
        "after zero and third backward: 2.0\n",
    ),
    (
        lab_two_parameter_fit,
        "two_parameter_fit\n"
        "epoch=  0 loss=41.0000 w=1.7500 b=0.6000\n"
        "epoch= 50 loss=0.0030 w=2.0452 b=0.8672\n"
        "epoch=100 loss=0.0007 w=2.0212 b=0.9375\n"
        "epoch=150 loss=0.0001 w=2.0100 b=0.9706\n"
        "epoch=200 loss=0.0000 w=2.0047 b=0.9862\n",
    ),
    (
        lab_tracking_flags,
        "tracked.requires_grad: True\n"
        "detached.requires_grad: False\n"
        "untracked.requires_grad: False\n",
    ),
    (
        lab_two_x_dot_x,
        "tensor([0., 1., 2., 3.])\n"
        "None\n"
        "tensor(28., grad_fn=<MulBackward0>)\n"
        "tensor([ 0.,  4.,  8., 12.])\n"
        "tensor([True, True, True, True])\n"
        "tensor([1., 1., 1., 1.])\n"
        "tensor([0., 2., 4., 6.])\n"
        "tensor([True, True, True, True])\n"
        "tensor([True, True, True, True])\n",
    ),
    (lab_control_flow, "tensor(True)\ntensor(True)\ntensor(True)\n"),
    (
        lab_requires_grad_graph,
        "tensor(3., requires_grad=True)\ntensor(10., grad_fn=<AddBackward0>)\ntensor(6.)\n",
    ),
    (lab_dynamic_graph, "tensor([6., 6.])\n"),
    (lab_no_grad_and_detach, "False\nTrue\nTrue False\ntensor(9.)\n"),
    (lab_accumulate_twice, "tensor(6.)\ntensor(12.)\n"),
    (
        lab_non_scalar,
        "tensor([2., 4., 6.])\ntensor([2., 4., 6.])\ntensor([[2., 4.],\n        [6., 8.]])\n",
    ),
    (lab_accumulation_vector, "tensor([2.])\ntensor([4.])\ntensor([8.])\n"),
    (lab_no_grad_decorator, "True\nFalse\nFalse\n"),
]


@pytest.mark.parametrize("lab,expected", LABS, ids=[lab.__name__ for lab, _ in LABS])
def test_lab_prints_what_the_lesson_prints(lab, expected, capsys):
    lab(engine)
    assert capsys.readouterr().out == expected


@pytest.mark.oracle
@pytest.mark.parametrize("lab,expected", LABS, ids=[lab.__name__ for lab, _ in LABS])
def test_torch_prints_the_same(lab, expected, capsys, torch):
    lab(torch)
    assert capsys.readouterr().out.replace("torch.", "engine.") == expected


def test_control_flow_with_a_random_scalar():
    """The lesson's own form: a = randn(size=()), the gradient is d / a."""
    engine.manual_seed(0)
    for _ in range(5):
        a = engine.randn(size=(), requires_grad=True)
        d = f(a)
        d.backward()
        assert a.grad.shape == ()
        assert_close(a.grad, d.detach() / a.detach())
