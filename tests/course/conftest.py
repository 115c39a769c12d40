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


def chapter_or_skip(number: str):
    """(the chapter numbered ``number`` or None, a ``pytestmark`` that skips the module without it).

    Use as ``CHAPTER, pytestmark = chapter_or_skip("07")``."""
    chapter = next((c for c in CHAPTERS if c.number == number), None)
    return chapter, pytest.mark.skipif(chapter is None, reason=f"chapter {number} is missing")


@pytest.fixture(scope="session")
def cell_outputs(executed_reference):
    """(chapter, stderr=True) -> every cell's (stream text, mime types of its displays) of the
    executed reference, in order; the text is stdout and stderr, or stdout alone with
    ``stderr=False``."""
    done = {}

    def outputs(chapter, *, stderr: bool = True) -> list[tuple[str, list[str]]]:
        key = (chapter.name, stderr)
        if key not in done:
            found = []
            for cell in executed_reference(chapter).cells:
                text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                               if o.get("output_type") == "stream"
                               and (stderr or o.get("name") == "stdout"))
                kinds = [k for o in cell.get("outputs", []) for k in o.get("data", {})]
                found.append((text, kinds))
            done[key] = found
        return done[key]

    return outputs


def all_text(outputs) -> str:
    """The stream text of every cell, joined."""
    return "".join(t for t, _ in outputs)


def text_with(outputs, marker: str) -> str:
    """The stream text of the first cell whose text contains ``marker``."""
    return next(t for t, _ in outputs if marker in t)
