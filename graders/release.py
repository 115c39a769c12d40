"""``gradbook release``: solutions/NN-topic.py -> notebook -> nbgrader -> course/NN-topic.ipynb.

1. The jupytext source becomes a notebook (``notebook.load_source``: nbgrader metadata
   completed, fixed cell ids).
2. nbgrader's ``generate_assignment`` runs in a course folder of its own
   (``build/nbgrader``: ``source/`` and ``release/`` trees and an ``nbgrader_config.py``),
   with a throwaway gradebook.
3. The release is normalised (no outputs, fixed ids and metadata, sorted keys) so the same
   source always gives the same bytes, validated (nothing leaks), and only then written.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import notebook as nbk
from .chapters import Chapter
from .nbgrader_course import generate, write_config
from .validate import Problem, validate_chapter


class ReleaseRefused(RuntimeError):
    """The release of a chapter broke a validator rule; nothing was written for it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass(frozen=True)
class Released:
    chapter: Chapter
    path: Path
    changed: bool


def build_release(chapter: Chapter, build_dir: Path, db_path: Path):
    """(source notebook, normalised release notebook) of one chapter."""
    source = nbk.load_source(chapter.source)
    released = generate(build_dir, db_path, chapter.name, source)
    return source, nbk.normalize(nbk.read(released))


def release(chapters: list[Chapter], course_dir: Path, build_dir: Path) -> list[Released]:
    """Release ``chapters`` into ``course_dir``; nbgrader's course folder is ``build_dir``.

    Raises ReleaseRefused (before writing anything) when a chapter fails validation.
    """
    write_config(build_dir)
    outputs = []
    with tempfile.TemporaryDirectory(prefix="gradbook-release-") as tmp:
        db_path = Path(tmp) / "gradebook.db"
        for chapter in chapters:
            source, release_nb = build_release(chapter, build_dir, db_path)
            problems = validate_chapter(chapter.name, source, release_nb)
            if problems:
                raise ReleaseRefused(problems)
            outputs.append((chapter, nbk.to_bytes(release_nb)))
    Path(course_dir).mkdir(parents=True, exist_ok=True)
    done = []
    for chapter, data in outputs:
        path = chapter.release_path(course_dir)
        changed = not path.exists() or path.read_bytes() != data
        if changed:
            path.write_bytes(data)
        done.append(Released(chapter, path, changed))
    return done
