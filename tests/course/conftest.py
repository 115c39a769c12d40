"""Fixtures for the chapter tests: every chapter, and its reference solution run once."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import notebook as nbk
from graders.chapters import all_chapters

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = all_chapters(ROOT)


@pytest.fixture(scope="session")
def reference_notebook(tmp_path_factory):
    """chapter -> its reference solution (the source) written as a notebook file."""
    folder = tmp_path_factory.mktemp("references")

    def write(chapter):
        path = folder / f"{chapter.name}.ipynb"
        if not path.exists():
            path.write_bytes(nbk.to_bytes(nbk.load_source(chapter.source)))
        return path

    return write


@pytest.fixture(scope="session")
def executed_reference(reference_notebook):
    """chapter -> its reference solution executed top to bottom (once per session)."""
    from graders.kernel import execute

    done = {}

    def run(chapter):
        if chapter.name not in done:
            path = reference_notebook(chapter)
            done[chapter.name] = execute(nbk.read(path), path.parent)
        return done[chapter.name]

    return run
