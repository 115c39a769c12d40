"""The README's promises: its Python examples run, and it names the two commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# An opening fence ```python (nothing else on the line) up to the next closing fence.
_PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _readme_text() -> str:
    return README.read_text(encoding="utf-8")


def _python_blocks() -> list[tuple[int, str]]:
    """(line number of the opening fence, source) of every ```python block in the README."""
    text = _readme_text()
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(1))
        for match in _PYTHON_BLOCK.finditer(text)
    ]


BLOCKS = _python_blocks()


def test_readme_has_python_examples() -> None:
    assert BLOCKS, "README.md has no ```python block to run"


@pytest.mark.parametrize("line, source", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_python_block_runs(line: int, source: str) -> None:
    # Pad so that line numbers in a traceback are the README's own lines.
    code = compile("\n" * line + source, str(README), "exec")
    exec(code, {"__name__": "__readme__"})


@pytest.mark.parametrize("command", ["make lab", "make test"])
def test_readme_names_the_two_commands(command: str) -> None:
    assert f"`{command}`" in _readme_text(), f"README.md does not mention `{command}`"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert "make test" in commands, ".ci/run must run the README's test command, `make test`"
