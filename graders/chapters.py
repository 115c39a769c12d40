"""Where the chapters are: sources ``solutions/NN-topic.py``, releases ``course/NN-topic.ipynb``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SOURCE_NAME = re.compile(r"^(?P<number>\d\d)-(?P<topic>[a-z0-9]+(?:-[a-z0-9]+)*)\.py$")
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class ChapterError(ValueError):
    """A chapter that cannot be found, named, or read."""


@dataclass(frozen=True)
class Chapter:
    source: Path  # solutions/NN-topic.py

    @property
    def name(self) -> str:
        return self.source.stem  # "01-why-gradients": the nbgrader assignment and notebook id

    @property
    def number(self) -> str:
        return self.name[:2]

    def release_path(self, course_dir: Path) -> Path:
        return Path(course_dir) / f"{self.name}.ipynb"


def find_root(start: Path | None = None) -> Path:
    """The project folder: the nearest one holding ``solutions/`` or ``course/``, from ``start``
    (default: the working directory) upwards; else the folder this package was installed from."""
    start = Path(start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "solutions").is_dir() or (folder / "course").is_dir():
            return folder
    return _PACKAGE_ROOT


def all_chapters(root: Path) -> list[Chapter]:
    folder = Path(root) / "solutions"
    if not folder.is_dir():
        raise ChapterError(f"no solutions/ folder in {root}: chapters are released from there")
    return [Chapter(p) for p in sorted(folder.glob("*.py")) if SOURCE_NAME.match(p.name)]


def select(root: Path, names: list[str] | None) -> list[Chapter]:
    """Chapters named by number ("01"), name ("01-why-gradients") or path; all when empty."""
    chapters = all_chapters(root)
    if not names:
        if not chapters:
            raise ChapterError(f"no chapter sources (NN-topic.py) in {Path(root) / 'solutions'}")
        return chapters
    chosen = []
    for name in names:
        stem = Path(name).stem
        matches = [c for c in chapters if stem in (c.name, c.number)]
        if not matches:
            known = ", ".join(c.name for c in chapters) or "none"
            raise ChapterError(f"no chapter {name!r}; the chapters are: {known}")
        chosen += [c for c in matches if c not in chosen]
    return chosen
