"""Chapter 12's checks and probes: the reference pieces pass, common mistakes get a verdict that
names the case, the input, expected vs got and a hint aimed at the mistake, and a wrong piece's
observation differs from the reference's. Everything runs on the CPU: the device cases use
``engine.testing.fake_cuda()``."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import engine
from engine.autograd import ArrayFunction, Function
from engine.ops import dual
from graders.checks import ch12

from ._check_helpers import assert_readable, failure_of, observations_differ, reference_pieces
from .conftest import ROOT

SOURCE = ROOT / "solutions" / "12-the-gpu-backend.py"
SAME = "Expected all tensors to be on the same device, but found at least two devices, "


# --- the reference, as in the chapter, with switches for common mistakes -----------------------

def make_array_module(*, cupy_ever=True, ask_first=False, unconditional=False, name=False):
    def array_module(x):
        if name:
            return "numpy"
        if unconditional:
            cp = engine.backend.cupy_module()
            return cp if isinstance(x, cp.ndarray) else np
        if ask_first:
            if not engine.cuda.is_available():
                return np
        elif isinstance(x, np.ndarray) or not engine.cuda.is_available():
            return np
        if not cupy_ever:
            return np
        cp = engine.backend.cupy_module()
        return cp if isinstance(x, cp.ndarray) else np

    return array_module


reference_array_module = make_array_module()


def make_logsumexp(*, shift=True, inf=True, reshape=True, save_softmax=False, sync=False,
                   base=ArrayFunction):
    class LogSumExp(base):
        node_name = "LogsumexpBackward0"

        @staticmethod
        def forward(ctx, a, dims, keepdim):
            xp = reference_array_module(a)
            kept = tuple(1 if i in dims else n for i, n in enumerate(a.shape))
            if shift:
                m = a.max(axis=dims, keepdims=True)
                if sync:
                    if bool(xp.isinf(m).any()):  # a question to the host: a copy
                        m = xp.where(xp.isinf(m), 0, m).astype(a.dtype)
                elif inf:
                    m = xp.where(xp.isinf(m), 0, m).astype(a.dtype)
            else:
                m = xp.zeros(kept, dtype=a.dtype)
            y = m + xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True))
            out = y if keepdim else y.reshape(tuple(n for i, n in enumerate(a.shape)
                                                    if i not in dims))
            if save_softmax:
                ctx.save_for_backward(xp.exp(a - y))
            else:
                ctx.save_for_backward(a, out)
            ctx.kept = kept
            return out

        @staticmethod
        def backward(ctx, grad_output):
            if save_softmax:
                (p,) = ctx.saved_tensors
                return grad_output.reshape(ctx.kept) * p, None, None
            a, y = ctx.saved_tensors
            if not reshape:
                return grad_output * dual.exp(a - y), None, None
            g = grad_output.reshape(ctx.kept)
            return g * dual.exp(a - y.reshape(ctx.kept)), None, None

    return LogSumExp


reference_logsumexp = make_logsumexp()


def make_common_device(*, first_is_main=False, move_scalars=True, move_all=False,
                       copy_all=False, any_scalar=False):
    def common_device(arrays):
        devices = [engine.backend.device_of(a) for a in arrays]
        if first_is_main:
            device = devices[0]
        elif any_scalar:  # the device of the first array that is not a scalar
            device = next((d for a, d in zip(arrays, devices) if a.ndim), devices[0])
        else:
            device = next((d for d in devices if d.type != "cpu"), devices[0])
        moved = []
        for a, d in zip(arrays, devices):
            if d != device:
                scalar = a.ndim == 0 and (d.type == "cpu" or any_scalar)
                if not move_all and not (move_scalars and scalar):
                    raise RuntimeError(f"{SAME}{device} and {d}!")
                a = engine.backend.to_device(a, device)
            elif copy_all:
                a = a.copy()
            moved.append(a)
        return device, moved

    return common_device


reference_common_device = make_common_device()


# (piece name, right, wrong) -> how wrong's observation differs from right's
_observations_differ = functools.partial(observations_differ, "12", seed=5)


@pytest.fixture(scope="module")
def chapter_pieces(tmp_path_factory):
    """The pieces as the chapter's reference solution defines them."""
    return reference_pieces(SOURCE, tmp_path_factory.mktemp("ch12"))


def test_the_chapters_pieces_pass(chapter_pieces, capsys):
    ch12.array_module(chapter_pieces["array_module"])
    ch12.LogSumExp(chapter_pieces["LogSumExp"])
    ch12.common_device(chapter_pieces["common_device"])
    out = capsys.readouterr().out
    assert "✓ array_module: all 7 cases pass." in out
    assert "✓ LogSumExp: all 8 cases pass." in out
    assert "✓ common_device: all 7 cases pass." in out


def test_the_test_copies_pass_and_observe_like_the_chapter(chapter_pieces, capsys):
    ch12.array_module(reference_array_module)
    ch12.LogSumExp(reference_logsumexp)
    ch12.common_device(reference_common_device)
    for name, copy in [("array_module", reference_array_module),
                       ("LogSumExp", reference_logsumexp),
                       ("common_device", reference_common_device)]:
        assert _observations_differ(name, chapter_pieces[name], copy) == [], name


def test_the_engine_itself_passes_the_checks(capsys):
    """The checks judge the engine's own pieces correct: they measure the right thing."""
    ch12.array_module(engine.backend.array_module)
    ch12.LogSumExp(engine.ops.reduce.LogSumExp)
    ch12.common_device(engine.backend.common_device)


# --- array_module ----------------------------------------------------------------------------

def test_array_module_that_never_answers_cupy():
    wrong = make_array_module(cupy_ever=False)
    message = failure_of(ch12.array_module, wrong)
    assert_readable(message, "array_module")
    assert "case 3 of 7" in message and "a CuPy array (the stand-in)" in message
    assert "got:      numpy" in message and "cupy.ndarray" in message
    assert _observations_differ("array_module", reference_array_module, wrong)


def test_array_module_that_asks_for_cupy_unconditionally():
    wrong = make_array_module(unconditional=True)
    message = failure_of(ch12.array_module, wrong)
    assert_readable(message, "array_module", expected=False)
    assert "engine.cuda.is_available() first" in message or "do not call" in message, message
    assert _observations_differ("array_module", reference_array_module, wrong)


def test_array_module_that_returns_a_name():
    wrong = make_array_module(name=True)
    message = failure_of(ch12.array_module, wrong)
    assert_readable(message, "array_module")
    assert "case 1 of 7" in message and "the string 'numpy'" in message
    assert "return the module itself" in message
    assert _observations_differ("array_module", reference_array_module, wrong)


def test_array_module_that_asks_about_cupy_for_every_numpy_array():
    wrong = make_array_module(ask_first=True)
    message = failure_of(ch12.array_module, wrong)
    assert_readable(message, "array_module")
    assert "case 7 of 7" in message and "after calling engine.cuda.is_available()" in message
    assert "isinstance(x, np.ndarray) first" in message
    assert _observations_differ("array_module", reference_array_module, wrong)


def test_array_module_that_is_not_a_function():
    message = failure_of(ch12.array_module, None)
    assert message.startswith("✗ array_module: expected a function")


# --- LogSumExp -------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:divide by zero encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_logsumexp_without_the_shift_overflows():
    """The wrong version overflows on purpose (NumPy warns); the check must say so."""
    wrong = make_logsumexp(shift=False)
    message = failure_of(ch12.LogSumExp, wrong)
    assert_readable(message, "LogSumExp")
    assert "case 5 of 8" in message and "large scores, float32" in message
    assert "got:      y = [inf]" in message and "exp overflowed" in message
    assert _observations_differ("LogSumExp", reference_logsumexp, wrong)


def test_logsumexp_without_the_inf_rule_gives_nan():
    wrong = make_logsumexp(inf=False)
    message = failure_of(ch12.LogSumExp, wrong)
    assert_readable(message, "LogSumExp")
    assert "case 6 of 8" in message and "rows of -inf" in message
    assert "nan" in message and "xp.where(xp.isinf(m), 0, m)" in message
    assert _observations_differ("LogSumExp", reference_logsumexp, wrong)


def test_logsumexp_backward_without_reshape():
    wrong = make_logsumexp(reshape=False)
    message = failure_of(ch12.LogSumExp, wrong)
    assert_readable(message, "LogSumExp", expected=False)
    assert "case 1 of 8" in message and "an error" in message
    assert "reshape grad_output and the saved result to ctx.kept" in message
    assert _observations_differ("LogSumExp", reference_logsumexp, wrong)


def test_logsumexp_saving_the_softmax_breaks_the_second_derivative():
    wrong = make_logsumexp(save_softmax=True)
    message = failure_of(ch12.LogSumExp, wrong)
    assert_readable(message, "LogSumExp")
    assert "case 7 of 8" in message and "a second derivative" in message
    assert "nothing was recorded" in message and "ctx.save_for_backward(a, out)" in message
    assert _observations_differ("LogSumExp", reference_logsumexp, wrong)


def test_logsumexp_that_asks_the_host_a_question():
    wrong = make_logsumexp(sync=True)
    message = failure_of(ch12.LogSumExp, wrong)
    assert_readable(message, "LogSumExp")
    assert "case 8 of 8" in message and "no copy to the host" in message
    assert "1 copy to the host" in message and "never float(...) or .item()" in message
    assert _observations_differ("LogSumExp", reference_logsumexp, wrong)


def test_logsumexp_written_with_numpy_alone_fails_on_the_gpu():
    class NumpyOnly(ArrayFunction):
        @staticmethod
        def forward(ctx, a, dims, keepdim):
            a = np.asarray(a)  # the host's copy: fine on the CPU, refused on a GPU
            m = np.where(np.isinf(a.max(axis=dims, keepdims=True)), 0,
                         a.max(axis=dims, keepdims=True))
            y = m + np.log(np.exp(a - m).sum(axis=dims, keepdims=True))
            out = y if keepdim else y.reshape([n for i, n in enumerate(a.shape) if i not in dims])
            ctx.save_for_backward(a, out)
            ctx.kept = tuple(1 if i in dims else n for i, n in enumerate(a.shape))
            return out

        backward = reference_logsumexp.backward

    message = failure_of(ch12.LogSumExp, NumpyOnly)
    assert_readable(message, "LogSumExp", expected=False)
    assert "case 8 of 8" in message and "Implicit conversion to a NumPy array" in message
    assert "xp = array_module(a)" in message
    assert _observations_differ("LogSumExp", reference_logsumexp, NumpyOnly)


def test_logsumexp_on_function_instead_of_array_function():
    wrong = make_logsumexp(base=Function)
    message = failure_of(ch12.LogSumExp, wrong)
    assert message.startswith("✗ LogSumExp: LogSumExp must subclass ArrayFunction")


# --- common_device ---------------------------------------------------------------------------

def test_common_device_that_takes_the_first_array_s_device():
    wrong = make_common_device(first_is_main=True)
    message = failure_of(ch12.common_device, wrong)
    assert_readable(message, "common_device")
    assert "case 4 of 7" in message and "the GPU is still named first" in message
    assert f"expected: RuntimeError: {SAME}cuda:0 and cpu!" in message
    assert f"got:      RuntimeError: {SAME}cpu and cuda:0!" in message
    assert _observations_differ("common_device", reference_common_device, wrong)


def test_common_device_that_never_moves_a_scalar():
    wrong = make_common_device(move_scalars=False)
    message = failure_of(ch12.common_device, wrong)
    assert_readable(message, "common_device")
    assert "case 5 of 7" in message and "a 0-d array on the CPU is a scalar" in message
    assert _observations_differ("common_device", reference_common_device, wrong)


def test_common_device_that_moves_everything():
    wrong = make_common_device(move_all=True)
    message = failure_of(ch12.common_device, wrong)
    assert_readable(message, "common_device")
    assert "case 3 of 7" in message and "no error: device cuda:0" in message
    assert "only a 0-d array on the CPU may be moved" in message
    assert _observations_differ("common_device", reference_common_device, wrong)


def test_common_device_that_copies_arrays_already_there():
    wrong = make_common_device(copy_all=True)
    message = failure_of(ch12.common_device, wrong)
    assert_readable(message, "common_device")
    assert "case 1 of 7" in message and "returned as it is (the same object)" in message
    assert _observations_differ("common_device", reference_common_device, wrong)


def test_common_device_that_moves_gpu_scalars_too():
    wrong = make_common_device(any_scalar=True)
    message = failure_of(ch12.common_device, wrong)
    assert_readable(message, "common_device")
    # A scalar on the GPU does not decide the device: caught where the GPU must be named first.
    assert "case 4 of 7" in message and f"got:      RuntimeError: {SAME}cpu and cuda:0!" in message
    assert _observations_differ("common_device", reference_common_device, wrong)


# --- the pieces in the engine ----------------------------------------------------------------

def test_installed_puts_the_pieces_in_the_engine_and_takes_them_out():
    calls = []

    def spy(arrays):
        calls.append(len(arrays))
        return reference_common_device(arrays)

    with engine.testing.fake_cuda(), ch12.installed(LogSumExp=reference_logsumexp,
                                                    common_device=spy):
        x = engine.tensor([[1.0, 2.0]], device="cuda", requires_grad=True)
        assert engine.ops.reduce.LogSumExp is reference_logsumexp
        x.logsumexp(1).sum().backward()
        with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
            x + engine.ones(1, 2)
        assert calls
    assert engine.ops.reduce.LogSumExp is ch12.ENGINE_LOGSUMEXP
    assert engine.backend.common_device is ch12.ENGINE_COMMON_DEVICE
