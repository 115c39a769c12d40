"""Suite-wide pytest hooks. Markers and options live in pyproject.toml."""

from __future__ import annotations

import importlib

import pytest

ORACLE_MISSING = "torch==2.13.0 (the oracle extra) is not installed"


def _torch_importable() -> bool:
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    oracle_items = [item for item in items if item.get_closest_marker("oracle") is not None]
    if not oracle_items or _torch_importable():
        return
    skip = pytest.mark.skip(reason=ORACLE_MISSING)
    for item in oracle_items:
        item.add_marker(skip)
