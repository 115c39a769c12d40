"""The built-in differentiable ops, one family per module (each reads like a derivative
table): ``unary``, ``binary``, ``reduce``, ``movement``, ``linalg``, ``conversion``."""

from . import binary, conversion, linalg, movement, reduce, unary  # noqa: F401
