"""Find the submissions: a folder or an LMS zip, and an optional roster.

Layouts understood (``<chapter>`` is a chapter's name, ``01-why-gradients``, or its number):

* ``<student>/<chapter>.ipynb``, timestamp in ``<student>/<chapter>.timestamp.txt`` or
  ``<student>/timestamp.txt``;
* ``<student>/<chapter>/<anything>.ipynb``, nbgrader's ``submitted/`` layout, timestamp in
  ``<student>/<chapter>/timestamp.txt``;
* a zip holding either layout (under one top folder or not), or a flat LMS download whose
  files are named ``<student>_<anything>_<chapter>.ipynb`` (Canvas:
  ``jdoe_12345_67890_01-why-gradients.ipynb``; ``jdoe_LATE_...`` too). A zip's entries are
  extracted by name only (no paths outside the target, no links), size-capped; their
  timestamp is the zip entry's date.

Without a timestamp file the file's modification time is used. Timestamps are UTC.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import GradingError

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
MAX_ZIP_ENTRY = 100 * 2**20
MAX_ZIP_TOTAL = 4 * 2**30
MAX_ZIP_ENTRIES = 100_000


class SubmissionsError(GradingError, ValueError):
    """The submissions or the roster cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Submission:
    student: str
    chapter: str  # the chapter's name
    path: Path
    timestamp: str  # ISO 8601, UTC
    sha256: str


def _utc(ts: dt.datetime) -> str:
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts.isoformat(sep=" ")


def read_timestamp(path: Path) -> str | None:
    from nbgrader.utils import parse_utc

    try:
        text = path.read_text(encoding="utf-8").strip()
        return _utc(parse_utc(text)) if text else None
    except (OSError, ValueError, UnicodeDecodeError, OverflowError):
        return None


def _mtime(path: Path) -> str:
    return _utc(dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _chapter_of(stem: str, chapters: list[str]) -> str | None:
    for name in chapters:
        if stem == name or stem == name[:2] or stem.endswith("_" + name) \
                or stem.endswith("_" + name[:2]):
            return name
    return None


def discover(folder: Path, chapters: list[str]) -> tuple[list[Submission], list[str]]:
    """(submissions, notes on what was skipped) under ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionsError(f"no such folder: {folder} (give the folder holding one folder "
                               f"per student, or an LMS zip)")
    found: dict[tuple[str, str], Submission] = {}
    notes: list[str] = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        student = student_dir.name
        if student_dir.is_symlink():
            notes.append(f"skipped {student_dir}: a symbolic link")
            continue
        if not STUDENT_ID.match(student):
            notes.append(f"skipped folder {student!r}: not a student id (letters, digits, "
                         f"._@+-)")
            continue
        for path in sorted(student_dir.iterdir()):
            if path.is_file() and path.suffix == ".ipynb":
                chapter = _chapter_of(path.stem, chapters)
                stamp = (read_timestamp(student_dir / f"{path.stem}.timestamp.txt")
                         or read_timestamp(student_dir / "timestamp.txt"))
            elif path.is_dir() and not path.is_symlink():
                chapter = _chapter_of(path.name, chapters)
                books = sorted(path.glob("*.ipynb"))
                if chapter is None or not books:
                    if chapter is None and books:
                        notes.append(f"skipped {path}: not a chapter ({', '.join(chapters)})")
                    continue
                exact = [b for b in books if b.stem == chapter]
                path = exact[0] if exact else books[0]
                stamp = read_timestamp(path.parent / "timestamp.txt")
            else:
                continue
            if chapter is None:
                notes.append(f"skipped {path}: not a chapter ({', '.join(chapters)})")
                continue
            if (student, chapter) in found:
                notes.append(f"skipped {path}: {student} already has {chapter} in "
                             f"{found[(student, chapter)].path}")
                continue
            if path.is_symlink():
                notes.append(f"skipped {path}: a symbolic link")
                continue
            found[(student, chapter)] = Submission(student, chapter, path,
                                                   stamp or _mtime(path), _sha256(path))
    return list(found.values()), notes


def unpack_zip(archive: Path, target: Path, chapters: list[str]) -> list[str]:
    """Extract the notebooks of an LMS zip into ``target/<student>/<chapter>.ipynb`` (with
    timestamp files from the entries' dates). Returns notes on what was skipped."""
    notes = []
    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SubmissionsError(f"cannot read {archive} as a zip: {exc}") from exc
    with zf:
        entries = zf.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise SubmissionsError(f"{archive} has {len(entries)} entries, too many to be a "
                                   f"class's submissions")
        total = 0
        for info in entries:
            if info.is_dir() or not info.filename.endswith(".ipynb"):
                continue
            parts = [p for p in re.split(r"[\\/]", info.filename) if p not in ("", ".")]
            if ".." in parts or any(p.startswith("__MACOSX") for p in parts):
                notes.append(f"skipped zip entry {info.filename!r}")
                continue
            student, chapter = _zip_owner(parts, chapters)
            if student is None or chapter is None:
                notes.append(f"skipped zip entry {info.filename!r}: cannot tell the student "
                             f"and the chapter")
                continue
            if info.file_size > MAX_ZIP_ENTRY:
                notes.append(f"skipped zip entry {info.filename!r}: larger than "
                             f"{MAX_ZIP_ENTRY >> 20} MiB")
                continue
            total += info.file_size
            if total > MAX_ZIP_TOTAL:
                raise SubmissionsError(f"{archive} unpacks to more than "
                                       f"{MAX_ZIP_TOTAL >> 30} GiB")
            out = target / student / f"{chapter}.ipynb"
            if out.exists():
                notes.append(f"skipped zip entry {info.filename!r}: {student} already has "
                             f"{chapter}")
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(out, "wb") as dst:
                remaining = MAX_ZIP_ENTRY + 1
                while chunk := src.read(min(1 << 20, remaining)):
                    dst.write(chunk)
                    remaining -= len(chunk)
            stamp = dt.datetime(*info.date_time)
            (target / student / f"{chapter}.timestamp.txt").write_text(_utc(stamp) + "\n")
    return notes


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]+", "-", name).strip("-.")


def _zip_owner(parts: list[str], chapters: list[str]) -> tuple[str | None, str | None]:
    stem = parts[-1][: -len(".ipynb")]
    chapter = _chapter_of(stem, chapters)
    folders = parts[:-1]
    for folder in reversed(folders):
        named = _chapter_of(folder, chapters)
        if named and chapter is None:
            chapter = named
            continue
        if named:
            continue
        student = _clean(folder.split("_")[0] if "_" in folder else folder)  # Moodle: Name_1_...
        return (student if STUDENT_ID.match(student) else None), chapter
    if "_" in stem:  # a flat LMS download: <student>_..._<chapter>
        student = _clean(stem.split("_")[0])
        return (student if STUDENT_ID.match(student) else None), chapter
    return None, chapter


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""


_ID_COLUMNS = ("id", "student_id", "student", "login", "username", "sis_login_id")


def read_roster(path: Path) -> dict[str, Student]:
    """{student id: Student} from a CSV roster with a header row: an id column (id,
    student_id, student, login or username) and optionally name (or first_name and
    last_name) and email."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SubmissionsError(f"no such roster: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionsError(f"cannot read the roster {path}: {exc} (save it as UTF-8 "
                               f"CSV)") from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise SubmissionsError(f"the roster {path} has no rows (a header row, then one row "
                               f"per student)")
    columns = {c.strip().lower(): c for c in rows[0] if c}
    id_column = next((columns[c] for c in _ID_COLUMNS if c in columns), None)
    if id_column is None:
        raise SubmissionsError(f"the roster {path} has no student id column: name one of "
                               f"{', '.join(_ID_COLUMNS)} (its columns: "
                               f"{', '.join(columns.values())})")

    def get(row, *names):
        for n in names:
            if n in columns and row.get(columns[n]):
                return row[columns[n]].strip()
        return ""

    students = {}
    for row in rows:
        sid = (row.get(id_column) or "").strip()
        if not sid:
            continue
        name = get(row, "name", "full_name") or " ".join(
            x for x in (get(row, "first_name", "first"), get(row, "last_name", "last")) if x)
        students[sid] = Student(sid, name, get(row, "email"))
    return students
