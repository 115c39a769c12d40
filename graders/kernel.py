"""Run notebooks on this very interpreter: a private ``python3`` kernelspec.

Notebooks name their kernel ``python3``. Inside ``pinned_kernel()`` that name means
``sys.executable -m ipykernel_launcher``, whatever other ``python3`` kernels the machine has
(a user's, another environment's), so a notebook runs with the engine and the checks this
interpreter imports.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat

KERNEL_NAME = "python3"


@contextlib.contextmanager
def pinned_kernel() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="gradbook-kernel-") as data_dir:
        spec_dir = Path(data_dir) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=ERROR"],  # not its TCP notice
            "display_name": "Python 3 (gradbook)",
            "language": "python",
            "metadata": {"debugger": False},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
        saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "JUPYTER_PLATFORM_DIRS")}
        paths = [data_dir, saved["JUPYTER_PATH"] or ""]
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in paths if p)
        os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
        try:
            yield KERNEL_NAME
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def execute(nb, cwd: Path, *, timeout: int = 120):
    """Run every cell of ``nb`` (a copy) on a fresh pinned kernel, errors recorded, not raised.

    Returns the executed notebook. A cell that runs out of time is interrupted, the run stops
    there, and ``nb.metadata["gradbook_stopped"]`` says why. The kernel's own stderr (its
    shutdown chatter) is discarded; everything the cells print arrives as outputs.
    """
    import subprocess

    import nbclient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.from_dict(nb)
    with pinned_kernel() as name:
        client = nbclient.NotebookClient(
            nb, kernel_name=name, timeout=timeout, allow_errors=True,
            resources={"metadata": {"path": str(cwd)}},
        )
        try:
            client.execute(stderr=subprocess.DEVNULL)
        except (CellTimeoutError, DeadKernelError) as exc:
            nb.metadata["gradbook_stopped"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return nb
