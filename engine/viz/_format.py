"""Short text for shapes, dtypes and values, as the pictures print them."""

from __future__ import annotations

import numpy

from .. import backend

PRECISION = 4  # significant digits of a number in a picture
THRESHOLD = 6  # arrays with more elements are summarised (first and last items)


def shape_text(shape):
    """``(2, 3)``; ``()`` for a 0-d tensor."""
    shape = tuple(shape)
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(map(str, shape)) + ")"


def dtype_text(array):
    return str(numpy.dtype(array.dtype))


def meta_text(array):
    """``(2, 3) float32``: the line under a tensor's name."""
    return f"{shape_text(array.shape)} {dtype_text(array)}"


def host(array):
    """The array on the CPU (a picture reads values; it never changes them)."""
    if isinstance(array, numpy.ndarray):
        return array
    return backend.to_device(array, backend.CPU)


def number_text(value):
    return f"{value:.{PRECISION}g}"


def array_text(array):
    """A value as a picture shows it: ``6``, ``[1, 2.5]``, or a summary of a large array."""
    a = host(array)
    if a.size == 1:
        v = a.reshape(()).item()
        return str(v) if isinstance(v, bool) else number_text(v)
    with numpy.printoptions(precision=PRECISION, threshold=THRESHOLD, edgeitems=2,
                            linewidth=48, floatmode="maxprec", suppress=True):
        text = numpy.array2string(a, separator=", ")
    # One line per row keeps boxes narrow; DOT gets the line breaks as \n.
    return "\n".join(line.strip() for line in text.splitlines())


def tensor_value(tensor):
    return array_text(tensor._data)
