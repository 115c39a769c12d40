"""engine: a small autograd library with PyTorch's API, on NumPy (and CuPy).

    import engine
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x ** 2).sum().backward()
    x.grad  # tensor([2., 4., 6.])
"""

from __future__ import annotations

from . import _speedups

_speedups.activate()  # compiled copies of unchanged hot modules, when built (make speedups)

# Order matters: autograd (which loads Tensor on its way), then the ops that use both.
from . import (
    _tensor_ops,
    autograd,  # noqa: I001
    ops,
)
from ._tensor import Size, Tensor

_tensor_ops._bind()
_speedups.install_core()  # Function.apply's common paths in C, with the compiled engine

from . import backend, dtypes, random, return_types, testing, utils  # noqa: E402
from ._functions import *  # noqa: E402,F403
from ._functions import (  # noqa: E402
    cat,
    column_stack,
    concat,
    concatenate,
    dstack,
    einsum,
    hstack,
    maximum,
    minimum,
    stack,
    std_mean,
    var_mean,
    vstack,
    where,
)
from .autograd.grad_mode import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import device  # noqa: E402
from .creation import *  # noqa: E402,F403
from .dtypes import (  # noqa: E402
    bool,  # noqa: A004
    double,
    dtype,
    float,  # noqa: A004
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,  # noqa: A004
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    short,
    uint8,
)
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: E402
from .substitute import substitute  # noqa: E402


def result_type(*operands):
    return dtypes.result_type(*operands)


def is_floating_point(input):  # noqa: A002
    return input.is_floating_point()


from . import cuda  # noqa: E402  (engine.cuda.is_available(), .synchronize(), as torch.cuda)

__version__ = "0.1.0"
from . import nn, optim  # noqa: E402  (last: they use everything above)


def __getattr__(name):
    # engine.viz needs the graphviz package, which the core does not: load it on first use.
    if name == "viz":
        import importlib

        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
