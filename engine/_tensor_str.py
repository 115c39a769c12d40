"""``repr(tensor)`` exactly as PyTorch prints it (with ``engine.`` for ``torch.``).

The rules are PyTorch's ``_tensor_str``: integer-valued floats print as ``2.``, others with
4 decimals, scientific notation when the magnitudes span more than 1000x (or are tiny or
huge); more than 1000 elements are summarised with ``...``; lines wrap at 80 characters.
"""

from __future__ import annotations

import math

import numpy

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


class _Formatter:
    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        if not floating:
            for v in values:
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = [v for v in values if math.isfinite(v) and v != 0]
        if not finite:  # only zeros, nan and inf: PyTorch sizes columns by finite values only
            return
        absolute = [abs(v) for v in finite]
        lo, hi = min(absolute), max(absolute)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                texts = [f"{v:.{PRECISION}e}" for v in finite]
            else:
                texts = [f"{v:.0f}." for v in finite]
        else:
            if hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
                self.sci_mode = True
                texts = [f"{v:.{PRECISION}e}" for v in finite]
            else:
                texts = [f"{v:.{PRECISION}f}" for v in finite]
        self.max_width = max(len(t) for t in texts)

    @staticmethod
    def _int_text(v):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.0f}."

    def format(self, v):
        if self.floating:
            if self.sci_mode:
                text = f"{v:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = self._int_text(v)
            else:
                text = f"{v:.{PRECISION}f}"
        else:
            text = str(v)
        return " " * (self.max_width - len(text)) + text


def _summarize(a):
    """The elements that are printed (the edges of each dimension when summarising)."""
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape[0] > 2 * EDGEITEMS:
        parts = [_summarize(x) for x in list(a[:EDGEITEMS]) + list(a[-EDGEITEMS:])]
    else:
        parts = [_summarize(x) for x in a]
    return numpy.concatenate(parts) if parts else numpy.zeros(0, a.dtype)


def _python(v, floating, is_bool):
    if is_bool:
        return bool(v)
    return float(v) if floating else int(v)


def _vector_str(a, indent, fmt, summarize, floating, is_bool):
    element_length = fmt.max_width + 2
    per_line = max(math.floor((LINEWIDTH - indent) / element_length), 1)

    def fmt_one(v):
        v = _python(v, floating, is_bool)
        return fmt.format(v) if not is_bool else fmt.format(v)

    if summarize and a.shape[0] > 2 * EDGEITEMS:
        data = [fmt_one(v) for v in a[:EDGEITEMS]] + [" ..."] + [fmt_one(v) for v in a[-EDGEITEMS:]]
    else:
        data = [fmt_one(v) for v in a]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(a, indent, fmt, summarize, floating, is_bool):
    if a.ndim == 0:
        return fmt.format(_python(a.item(), floating, is_bool))
    if a.ndim == 1:
        return _vector_str(a, indent, fmt, summarize, floating, is_bool)
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        slices = (
            [_tensor_str(a[i], indent + 1, fmt, summarize, floating, is_bool)
             for i in range(EDGEITEMS)]
            + ["..."]
            + [_tensor_str(a[i], indent + 1, fmt, summarize, floating, is_bool)
               for i in range(a.shape[0] - EDGEITEMS, a.shape[0])]
        )
    else:
        slices = [_tensor_str(a[i], indent + 1, fmt, summarize, floating, is_bool)
                  for i in range(a.shape[0])]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(slices) + "]"


def tensor_repr(t):
    from . import backend
    from .dtypes import bool as bool_
    from .dtypes import float32, int64

    a = backend.to_device(t._data, backend.CPU)
    dt = t.dtype
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    summarize = a.size > THRESHOLD
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if a.size == 0 and a.shape != (0,):
        suffixes.append(f"size=({', '.join(map(str, a.shape))}{',' if a.ndim == 1 else ''})")
        body = "[]"
    elif a.size == 0:
        body = "[]"
    else:
        floating = dt.is_floating_point
        is_bool = dt is bool_
        shown = _summarize(a) if summarize else a.reshape(-1)
        values = [_python(v, floating, is_bool) for v in shown.tolist()]
        fmt = _Formatter(values, floating)
        body = _tensor_str(a, indent, fmt, summarize, floating, is_bool)
    # An empty tensor shows its dtype unless it is the default float (nothing else tells).
    if dt is not float32 and (a.size == 0 or dt not in (int64, bool_)):
        suffixes.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _add_suffixes(text, suffixes, indent):
    """PyTorch's rule: a suffix that would pass the line width starts a new line."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"
