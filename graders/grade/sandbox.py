"""Run one submission's cells in the sandbox (``_inside``) and bring back its one document.

Isolation, where the machine allows it (root and working namespaces, as on Linux CI):
``unshare --net --mount --pid --fork --kill-child`` gives the sandbox no network, its own
mounts and its own process tree; ``_inside`` builds a read-only root holding only the system
directories, Python and the ``engine``/``graders`` packages, and runs the student's code as a
fresh unprivileged uid with resource limits. Elsewhere (not root, or no namespaces) it still
applies the resource limits, a private working folder and a process-group kill, and the
``protections`` it reports say what was missing.

The result channel is a pipe only the supervisor holds; the document must carry the nonce
written to the supervisor's own nonce pipe. Output (stdout and stderr together) is drained and
only its first ``output_bytes`` kept. The whole process group is killed at the deadline.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import GradingError


@dataclass(frozen=True)
class Limits:
    """The sandbox's limits. Times in seconds, sizes in MiB unless named ``_bytes``."""

    memory_mb: int = 2048  # RLIMIT_AS: address space of the runner (MemoryError beyond it)
    cpu_s: int = 120  # RLIMIT_CPU: CPU seconds for the whole notebook
    nproc: int = 16  # RLIMIT_NPROC: processes and threads of the sandbox user
    nofile: int = 64  # RLIMIT_NOFILE
    fsize_mb: int = 16  # RLIMIT_FSIZE: the largest file it may write
    tmpfs_mb: int = 64  # its private /tmp (namespaces only)
    cell_s: float = 60.0  # one cell
    observe_s: float = 60.0  # one piece's observation
    notebook_s: float = 300.0  # the whole run; then everything is killed
    output_bytes: int = 64 * 1024  # stdout + stderr kept (the rest is read and dropped)
    message_bytes: int = 32 * 2**20  # the runner's messages, in all
    notebook_bytes: int = 100 * 2**20  # the largest notebook file accepted


@dataclass
class SandboxRun:
    doc: dict | None  # the supervisor's document, nonce checked; None when there is none
    problem: str | None  # why there is no (valid) document
    output: str  # the first output_bytes of stdout + stderr
    output_bytes: int  # how much was written in all
    returncode: int | None
    seconds: float
    mode: str  # "namespaces" | "plain"
    notes: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def namespaces_available() -> bool:
    """True when ``unshare`` can give us network, mount and pid namespaces (root on Linux)."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    try:
        proc = subprocess.run([unshare, "--net", "--mount", "--pid", "--fork", "--kill-child",
                               "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def keep_paths() -> list[str]:
    """What the runner must read: the Python installation and the two packages."""
    import engine
    import graders

    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(engine.__file__).resolve().parent),
             str(Path(graders.__file__).resolve().parent)]
    return sorted({os.path.realpath(p) for p in paths})


class SandboxUnavailable(GradingError, RuntimeError):
    """This machine cannot run the sandbox as asked; the message says what to change."""


def _traversable_by_others(path: str) -> bool:
    """Every folder on the way to ``path`` lets other users in, and ``path`` can be read."""
    p = Path(path)
    for folder in [*reversed(p.parents), p]:
        try:
            mode = folder.stat().st_mode
        except OSError:
            return False
        if not mode & 0o001:
            return False
    return bool(p.stat().st_mode & 0o004)


def drop_uid(namespaces: bool) -> bool:
    """Whether the runner can run as a fresh unprivileged uid (root only). Without namespaces
    that uid must be able to read the Python installation and the packages as they are."""
    if os.geteuid() != 0:
        return False
    if namespaces:
        return True
    blocked = [p for p in keep_paths() if not _traversable_by_others(p)]
    if blocked:
        raise SandboxUnavailable(
            f"without namespaces the sandbox runs as an unprivileged user, who cannot read "
            f"{blocked[0]} (a folder on the way is private): make it readable by other users "
            f"(chmod o+rx on each folder), or grade where `unshare --net --mount --pid --fork` "
            f"works (Linux, as root).")
    return True


def _command(namespaces: bool) -> list[str]:
    inside = [sys.executable, "-I", "-m", "graders.grade._inside"]
    if not namespaces:
        return inside
    return [shutil.which("unshare"), "--net", "--mount", "--pid", "--fork", "--kill-child",
            "--propagation", "private", "--", *inside]


def run(notebook: Path, cells: list[dict], chapter: str, seed: int, limits: Limits,
        hide: list[str] = (), namespaces: bool | None = None,
        _keep_uid: bool = False) -> SandboxRun:
    """Run ``cells`` (from ``plan``) for the notebook at ``notebook`` in a fresh sandbox.

    ``namespaces`` None: use them where they work. ``_keep_uid`` (tests of the fallback only)
    runs the code as the grader's own user."""
    namespaces = namespaces_available() if namespaces is None else namespaces
    drop = False if _keep_uid else drop_uid(namespaces)
    nonce = secrets.token_hex(16)
    result_r, result_w = os.pipe()
    nonce_r, nonce_w = os.pipe()
    workdir = None if namespaces else tempfile.mkdtemp(prefix="gradbook-sandbox-")
    inst = {
        "namespaces": namespaces, "notebook": str(Path(notebook).resolve()),
        "notebook_name": "submission.ipynb", "keep": keep_paths(),
        "hide": [str(h) for h in hide], "workdir": workdir, "limits": asdict(limits),
        "chapter": chapter, "seed": int(seed), "cells": cells, "drop_uid": drop,
        "result_fd": result_w, "nonce_fd": nonce_r,
    }
    started = time.monotonic()
    with tempfile.TemporaryFile() as stdin:
        stdin.write(json.dumps(inst).encode())
        stdin.seek(0)
        try:
            proc = subprocess.Popen(
                _command(namespaces), stdin=stdin, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(result_w, nonce_r), cwd="/",
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
                start_new_session=True)
        finally:
            os.close(result_w)
            os.close(nonce_r)
    try:
        os.write(nonce_w, nonce.encode() + b"\n")
    finally:
        os.close(nonce_w)
    try:
        out, out_total, result, result_over, killed = _drain(
            proc, result_r, started + limits.notebook_s + 60.0, limits)
    finally:
        os.close(result_r)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.monotonic() - started
    run_ = SandboxRun(None, None, out.decode("utf-8", "replace"), out_total, proc.returncode,
                      round(seconds, 3), "namespaces" if namespaces else "plain")
    if killed:
        run_.problem = "the sandbox did not finish in time and was killed"
    elif result_over:
        run_.problem = "the result document was larger than allowed"
    else:
        run_.doc, run_.problem = _parse(result, nonce)
    return run_


def _drain(proc, result_fd: int, deadline: float, limits: Limits):
    out, out_total = bytearray(), 0
    result, result_over = bytearray(), False
    result_cap = 2 * limits.message_bytes + 2**20
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(result_fd, selectors.EVENT_READ, "result")
    killed = False
    while sel.get_map():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _kill(proc)
            killed = True
            break
        for key, _ in sel.select(timeout=min(remaining, 1.0)):
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                sel.unregister(key.fileobj)
            elif key.data == "out":
                out_total += len(chunk)
                if len(out) < limits.output_bytes:
                    out += chunk[: limits.output_bytes - len(out)]
            elif len(result) + len(chunk) > result_cap:
                result_over = True
            else:
                result += chunk
    sel.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.wait()
    proc.stdout.close()
    return bytes(out), out_total, bytes(result), result_over, killed


def _kill(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _parse(data: bytes, nonce: str):
    """The document, if ``data`` is exactly one JSON object carrying ``nonce``."""
    import hmac

    if not data.strip():
        return None, "the sandbox ended without a result document"
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "the result channel held something other than one JSON document"
    if not isinstance(doc, dict) or not isinstance(doc.get("nonce"), str):
        return None, "the result document has no nonce"
    if not hmac.compare_digest(doc["nonce"].encode(), nonce.encode()):
        return None, "the result document's nonce is wrong (forged)"
    return doc, None
