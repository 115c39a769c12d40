"""The built-in differentiable ops, one family per module (each reads like a derivative
table): ``unary``, ``binary``, ``reduce``, ``movement``, ``indexing``, ``linalg``,
``conversion``."""

from . import binary, conversion, indexing, linalg, movement, reduce, unary  # noqa: F401
