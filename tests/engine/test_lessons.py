"""The lessons' examples, run on the engine, print what the lessons print."""

import numpy as np

import engine


def test_one_parameter_lab(capsys):
    w = engine.tensor(2.0, requires_grad=True)
    loss = (w * 3 - 10) ** 2
    print("loss:", loss.item())
    loss.backward()
    print("w.grad:", w.grad.item())
    assert capsys.readouterr().out == "loss: 16.0\nw.grad: -24.0\n"


def test_five_step_update_loop(capsys):
    w = engine.tensor(2.0, requires_grad=True)
    lr = 0.1
    for step in range(1, 6):
        loss = (w * 3 - 10) ** 2
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
        print(f"step={step} w={w.item():.4f} loss={loss.item():.4f} grad={w.grad.item():.4f}")
        w.grad.zero_()
    assert capsys.readouterr().out == (
        "step=1 w=4.4000 loss=16.0000 grad=-24.0000\n"
        "step=2 w=2.4800 loss=10.2400 grad=19.2000\n"
        "step=3 w=4.0160 loss=6.5536 grad=-15.3600\n"
        "step=4 w=2.7872 loss=4.1943 grad=12.2880\n"
        "step=5 w=3.7702 loss=2.6844 grad=-9.8304\n"
    )


def test_accumulation_lab(capsys):
    x = engine.tensor(3.0, requires_grad=True)
    (x**2).backward()
    print("after first backward:", x.grad.item())
    (2 * x).backward()
    print("after second backward:", x.grad.item())
    x.grad.zero_()
    (2 * x).backward()
    print("after zero and third backward:", x.grad.item())
    assert capsys.readouterr().out == (
        "after first backward: 6.0\nafter second backward: 8.0\n"
        "after zero and third backward: 2.0\n"
    )


def test_two_parameter_fit(capsys):
    x = engine.tensor([1.0, 2.0, 3.0, 4.0])
    y_true = engine.tensor([3.0, 5.0, 7.0, 9.0])
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    lr = 0.05
    for epoch in range(201):
        loss = ((w * x + b - y_true) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if epoch % 50 == 0:
            print(f"epoch={epoch:3d} loss={loss.item():.4f} w={w.item():.4f} b={b.item():.4f}")
        w.grad.zero_()
        b.grad.zero_()
    assert capsys.readouterr().out == (
        "epoch=  0 loss=41.0000 w=1.7500 b=0.6000\n"
        "epoch= 50 loss=0.0030 w=2.0452 b=0.8672\n"
        "epoch=100 loss=0.0007 w=2.0212 b=0.9375\n"
        "epoch=150 loss=0.0001 w=2.0100 b=0.9706\n"
        "epoch=200 loss=0.0000 w=2.0047 b=0.9862\n"
    )


def test_requires_grad_no_grad_detach_check(capsys):
    w = engine.tensor(5.0, requires_grad=True)
    tracked = w * 2
    detached = tracked.detach()
    with engine.no_grad():
        untracked = w * 3
    print(tracked.requires_grad, detached.requires_grad, untracked.requires_grad)
    assert capsys.readouterr().out == "True False False\n"


def test_textbook_section():
    x = engine.arange(4.0)
    assert repr(x) == "tensor([0., 1., 2., 3.])"
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * engine.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([ 0.,  4.,  8., 12.])"
    assert (x.grad == 4 * x).all()
    x.grad.zero_()
    x.sum().backward()
    assert repr(x.grad) == "tensor([1., 1., 1., 1.])"
    x.grad.zero_()
    y = x * x
    y.backward(gradient=engine.ones(len(y)))
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"
    x.grad.zero_()
    y = x * x
    u = y.detach()
    (u * x).sum().backward()
    assert repr(x.grad == u) == "tensor([True, True, True, True])"
    x.grad.zero_()
    y.sum().backward()
    assert (x.grad == 2 * x).all()


def _f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    c = b if b.sum() > 0 else 100 * b
    return c


def test_gradient_through_control_flow():
    for seed in range(5):
        engine.manual_seed(seed)
        a = engine.randn(size=(), requires_grad=True)
        d = _f(a)
        d.backward()
        assert repr(a.grad == d / a) == "tensor(True)"


def test_non_scalar_backward_examples():
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x**2
    y.backward(engine.ones_like(y))
    assert repr(x.grad) == "tensor([[2., 4.],\n        [6., 8.]])"
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2
    try:
        y.backward()
    except RuntimeError as err:
        assert str(err) == "grad can be implicitly created only for scalar outputs"
    y.backward(engine.ones_like(y))
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_graph_and_next_functions_example():
    x = engine.randn(3, requires_grad=True)
    w = engine.randn(3, requires_grad=True)
    z = (x * w).sum()
    assert type(z.grad_fn).__name__ == "SumBackward0"
    (mul, _), = z.grad_fn.next_functions
    assert type(mul).__name__ == "MulBackward0"
    leaves = [f.variable for f, _ in mul.next_functions]
    assert leaves[0] is x and leaves[1] is w
    assert x.grad_fn is None and x.is_leaf and not (x * w).is_leaf


def test_second_backward_and_retain_graph():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x**2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0, 12.0])
    try:
        y.backward()
    except RuntimeError as err:
        assert str(err).startswith("Trying to backward through the graph a second time")
    else:
        raise AssertionError("expected the freed-graph error")


def test_no_grad_fn_error_text():
    try:
        engine.tensor([1.0]).backward()
    except RuntimeError as err:
        assert str(err) == "element 0 of tensors does not require grad and does not have a grad_fn"


def test_a_long_chain_backpropagates_without_recursion():
    x = engine.tensor(1.0, dtype=engine.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0000001**100_000, rtol=1e-9)


def test_reused_leaf_gets_the_sum_and_grads_are_separate():
    x = engine.tensor(2.0, requires_grad=True)
    total = x
    for _ in range(9):
        total = total + x
    total.backward()
    assert x.grad.item() == 10.0
    a = engine.ones(2, requires_grad=True)
    b = engine.ones(2, requires_grad=True)
    (a + b).sum().backward()
    a.grad[0] = 5.0
    assert b.grad.tolist() == [1.0, 1.0]
