"""Helpers shared by the chapters' check tests (tests/graders/test_checks_ch*.py): a check's
failure message and its layout, how a piece's observation differs from the reference's, and a
chapter's reference pieces loaded from its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import notebook as nbk
from graders.checks import CheckFailed
from graders.myengine.loader import load_pieces
from graders.probes._observe import compare, observe, tolerance


def failure_of(check_fn, piece) -> str:
    """The message of the CheckFailed that ``check_fn(piece)`` must raise."""
    with pytest.raises(AssertionError) as info:
        check_fn(piece)
    assert isinstance(info.value, CheckFailed)
    return str(info.value)


def assert_readable(message: str, piece: str, *, expected=True):
    """A verdict a student can read: "✗ <piece>: case ... failed: ", then labelled lines
    input/expected/got/hint (no "expected:" with ``expected=False``), and no traceback."""
    lines = message.splitlines()
    assert lines[0].startswith(f"✗ {piece}: case ") and " failed: " in lines[0], message
    labels = ("input:", "expected:", "got:", "hint:") if expected else ("input:", "got:", "hint:")
    for label in labels:
        assert any(line.strip().startswith(label) for line in lines), (label, message)
    assert "Traceback" not in message and "graders/" not in message


def observations_differ(chapter: str, piece_name: str, right, wrong, *, seed: int,
                        tol: tuple[float, float] | None = None) -> list[str]:
    """How ``wrong``'s observation differs from ``right``'s (graders.probes.ch<chapter>, the
    same seed for both), under the piece's tolerance or ``tol``; empty when they agree."""
    rtol, atol = tolerance(chapter, piece_name) if tol is None else tol
    return compare(observe(chapter, piece_name, right, seed),
                   observe(chapter, piece_name, wrong, seed), rtol, atol)


def reference_pieces(source: Path, folder: Path) -> dict:
    """name -> object of every piece the chapter's reference solution ``source`` defines, loaded
    from it (written as a notebook into ``folder``) as `gradbook my-engine` does."""
    path = folder / f"{source.stem}.ipynb"
    path.write_bytes(nbk.to_bytes(nbk.load_source(source)))
    loaded = load_pieces(path)
    assert all(item.obj is not None for item in loaded.values()), loaded
    return {name: item.obj for name, item in loaded.items()}
