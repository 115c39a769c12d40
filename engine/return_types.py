"""Named results of ops that return several tensors (``values, indices = x.max(dim)``)."""

from __future__ import annotations

from collections import namedtuple


def _repr(self):
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"engine.return_types.{type(self).__name__}(\n{fields})"


max = namedtuple("max", ["values", "indices"])  # noqa: A001 - PyTorch's names
min = namedtuple("min", ["values", "indices"])  # noqa: A001
sort = namedtuple("sort", ["values", "indices"])
topk = namedtuple("topk", ["values", "indices"])
kthvalue = namedtuple("kthvalue", ["values", "indices"])
cummax = namedtuple("cummax", ["values", "indices"])
cummin = namedtuple("cummin", ["values", "indices"])
aminmax = namedtuple("aminmax", ["min", "max"])
_TYPES = {t.__name__: t for t in (max, min, sort, topk, kthvalue, cummax, cummin, aminmax)}
for _type in _TYPES.values():
    _type.__repr__ = _repr


def make_return_type(name, *fields):
    return _TYPES[name](*fields)
