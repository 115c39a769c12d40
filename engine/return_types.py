"""Named results of ops that return several tensors (``values, indices = x.max(dim)``)."""

from __future__ import annotations

from collections import namedtuple


def _repr(self):
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"engine.return_types.{type(self).__name__}(\n{fields})"


max = namedtuple("max", ["values", "indices"])  # noqa: A001 - PyTorch's names
min = namedtuple("min", ["values", "indices"])  # noqa: A001
max.__repr__ = min.__repr__ = _repr
_TYPES = {"max": max, "min": min}


def make_return_type(name, values, indices):
    return _TYPES[name](values, indices)
