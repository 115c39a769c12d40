"""The sandbox's protections, observed from inside: one run whose cell reports what it can
see and do (as JSON on its stdout), checked here. Also the fallback without namespaces, and
the result channel's checks (nonce, one document)."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

from graders.grade import sandbox
from graders.grade.sandbox import Limits, namespaces_available

ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(cell_s=10, notebook_s=30, memory_mb=512, nproc=8, nofile=32, fsize_mb=1)

PROBE = r'''
import json, os, resource, socket, sys
facts = {}
facts["uid"], facts["gid"], facts["groups"] = os.getuid(), os.getgid(), os.getgroups()
facts["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
fds = {}
for f in os.listdir("/proc/self/fd"):
    try:
        fds[int(f)] = os.readlink("/proc/self/fd/" + f)
    except OSError:
        pass
facts["fds"] = fds
facts["env"] = sorted(os.environ)
facts["cwd"], facts["cwd_files"] = os.getcwd(), sorted(os.listdir("."))
st = os.stat(".")
facts["cwd_mode"], facts["cwd_owner"] = oct(st.st_mode & 0o777), st.st_uid
with open("/proc/self/status") as f:
    facts["no_new_privs"] = [l.split()[1] for l in f if l.startswith("NoNewPrivs")][0]
facts["limits"] = {n: resource.getrlimit(getattr(resource, n))[0]
                   for n in ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_FSIZE",
                             "RLIMIT_CPU", "RLIMIT_CORE")}
def visible(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return type(exc).__name__
facts["root_listing"] = visible("/")
facts["project"] = visible(PROJECT)
facts["solutions"] = visible(PROJECT + "/solutions")
facts["home"] = visible("/root")
facts["tmp"] = visible("/tmp")
try:
    facts["hidden_file"] = open(HIDDEN).read()
except OSError as exc:
    facts["hidden_file"] = type(exc).__name__
def can_write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
facts["write"] = {p: can_write(p) for p in ["mine.txt", *WRITES]}
try:
    with open("big.bin", "wb") as f:
        f.write(b"x" * (2 * 2**20))
    facts["big_file"] = "written"
except OSError as exc:
    facts["big_file"] = type(exc).__name__
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__
facts["net_local"] = connect("127.0.0.1", PORT)
facts["net_outside"] = connect("1.1.1.1", 53)
print("FACTS" + json.dumps(facts))
'''


def _facts(hidden: Path, port: int, writes: list[str], **kwargs
           ) -> tuple[dict, sandbox.SandboxRun]:
    source = (f"PROJECT = {str(ROOT)!r}\nHIDDEN = {str(hidden)!r}\nPORT = {port}\n"
              f"WRITES = {writes!r}\n" + PROBE)
    notebook = ROOT / "course" / "01-why-gradients.ipynb"
    run = sandbox.run(notebook, [{"id": "probe", "kind": "setup", "piece": None,
                                  "source": source}], "01", 0, LIMITS,
                      hide=[str(hidden)], **kwargs)
    assert run.doc is not None, (run.problem, run.output[-2000:])
    line = next((x for x in run.output.splitlines() if x.startswith("FACTS")), None)
    assert line, (run.output[-3000:], run.doc["messages"])
    return json.loads(line[5:]), run


@pytest.fixture(scope="module")
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@pytest.mark.skipif(not namespaces_available(), reason="needs namespaces (root on Linux)")
def test_what_the_sandbox_can_see_and_do(listener, monkeypatch):
    monkeypatch.setenv("GRADBOOK_TEST_SECRET", "do-not-leak")
    hidden = ROOT / "graders" / "probes" / "__init__.py"  # inside a kept folder
    outside = ["/tmp/gradbook-test-x", str(ROOT / "engine" / "gradbook-test-x.py"),
               "/etc/gradbook-test-x"]
    facts, run = _facts(hidden, listener, outside)
    assert not any(Path(p).exists() for p in outside)
    assert facts["uid"] >= 1_500_000_000 and facts["gid"] == facts["uid"]
    assert facts["groups"] == [] and facts["no_new_privs"] == "1"
    assert facts["pids"] == [1, 2], "only the supervisor and the runner are visible"
    # stdin is /dev/null; besides stdout/stderr, one pipe only: the messages to the
    # supervisor (the result and nonce pipes were closed before any student code ran)
    assert facts["fds"]["0"] == "/dev/null"
    extra_pipes = [t for f, t in facts["fds"].items() if int(f) > 2 and t.startswith("pipe:")]
    assert len(extra_pipes) == 1
    assert "GRADBOOK_TEST_SECRET" not in facts["env"]
    assert facts["cwd"] == "/tmp/work" and facts["cwd_files"] == ["submission.ipynb"]
    assert facts["cwd_mode"] == "0o700" and facts["cwd_owner"] == facts["uid"]
    assert facts["limits"]["RLIMIT_AS"] == 512 * 2**20
    assert facts["limits"]["RLIMIT_NPROC"] == 8 and facts["limits"]["RLIMIT_NOFILE"] == 32
    assert facts["limits"]["RLIMIT_FSIZE"] == 2**20 and facts["limits"]["RLIMIT_CORE"] == 0
    assert facts["big_file"] != "written"  # the file-size limit
    # the new root: system folders, and the folders leading to what was kept
    kept_tops = {Path(p).parts[1] for p in sandbox.keep_paths()}
    assert set(facts["root_listing"]) <= {"bin", "dev", "etc", "lib", "lib32", "lib64",
                                          "libx32", "proc", "sbin", "tmp", "usr"} | kept_tops
    assert "home" not in facts["root_listing"] and "run" not in facts["root_listing"]
    assert set(facts["project"]) <= {"engine", "graders", ".venv"}
    assert facts["solutions"] == "FileNotFoundError"
    if str(Path.home()) != "/" and facts["home"] != "FileNotFoundError":
        real = set(os.listdir(Path.home()))
        assert set(facts["home"]) < real  # only what leads to the Python installation
    # /tmp holds the work folder, and the way to a kept folder when it lives under /tmp
    kept_in_tmp = {Path(p).parts[2] for p in sandbox.keep_paths()
                   if Path(p).parts[1] == "tmp" and len(Path(p).parts) > 2}
    assert set(facts["tmp"]) == {"work"} | kept_in_tmp
    assert facts["hidden_file"] == "PermissionError"  # /dev/null on a nodev mount
    assert facts["write"] == {"mine.txt": True, **{p: False for p in outside}}
    assert facts["net_local"] != "connected" and facts["net_outside"] != "connected"
    assert run.doc["protections"]["network"].startswith("none")


def test_without_namespaces_the_fallback_says_what_is_missing(listener, tmp_path):
    """The fallback (no namespaces; here also the grader's own uid) still applies the limits
    and a private folder, and its report says that network and files are NOT isolated."""
    hidden = tmp_path / "secret.txt"
    hidden.write_text("visible without namespaces")
    # (it could write anywhere its user can: the test only tries its own temporary folder)
    facts, run = _facts(hidden, listener, [str(tmp_path / "outside.txt")], namespaces=False,
                        _keep_uid=True)
    assert facts["write"] == {"mine.txt": True, str(tmp_path / "outside.txt"): True}
    assert run.mode == "plain" and run.doc["protections"]["namespaces"] is False
    assert "NOT isolated" in run.doc["protections"]["network"]
    assert "NOT isolated" in run.doc["protections"]["filesystem"]
    assert facts["hidden_file"] == "visible without namespaces"  # as documented: not hidden
    assert facts["limits"]["RLIMIT_AS"] == 512 * 2**20 and facts["big_file"] != "written"
    assert facts["cwd_mode"] == "0o700" and facts["cwd_files"] == ["submission.ipynb"]
    assert facts["net_local"] == "connected"  # as documented: no network isolation
    assert "GRADBOOK_TEST_SECRET" not in facts["env"]


def test_the_result_needs_the_runs_nonce_and_one_document():
    doc = {"nonce": "a" * 32, "messages": []}
    good = json.dumps(doc).encode()
    assert sandbox._parse(good, "a" * 32) == (doc, None)
    assert sandbox._parse(good, "b" * 32)[1] == "the result document's nonce is wrong (forged)"
    assert "one JSON document" in sandbox._parse(good + b"\n" + good, "a" * 32)[1]
    assert "one JSON document" in sandbox._parse(b"\xff" + good, "a" * 32)[1]
    assert "no nonce" in sandbox._parse(b"[1, 2]", "a" * 32)[1]
    assert "without a result" in sandbox._parse(b"", "a" * 32)[1]
    deep = b"[" * 100_000 + b"]" * 100_000
    assert sandbox._parse(deep, "a" * 32)[0] is None


def test_a_private_python_installation_stops_the_fallback_with_a_clear_message(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("the unprivileged uid is only used when grading as root")
    monkeypatch.setattr(sandbox, "keep_paths", lambda: ["/root/.pyenv-does-not-exist"])
    with pytest.raises(sandbox.SandboxUnavailable, match="cannot read"):
        sandbox.drop_uid(namespaces=False)
    assert sandbox.drop_uid(namespaces=True) is True
    assert sys.executable


@pytest.mark.skipif(not namespaces_available(), reason="needs namespaces (root on Linux)")
def test_a_sandbox_that_cannot_be_built_is_the_graders_error_not_the_students(
        monkeypatch, tmp_path):
    from dataclasses import asdict

    from graders.grade.batch import Job, grade_submission

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setattr(sandbox, "keep_paths", lambda: [str(not_a_folder)])
    job = Job("s", "01-why-gradients", str(ROOT / "course" / "01-why-gradients.ipynb"),
              str(ROOT), 1, asdict(LIMITS))
    result = grade_submission(job)
    assert result.outcome == "error" and "could not be set up" in result.reason
    assert "NotADirectoryError" in result.reason


@pytest.mark.parametrize("junk", [
    b'{"kind": "piece", "name": "x", "observation": NaN}\n',  # JSON's forbidden constants
    b"[" * 50_000 + b"\n",  # nested beyond any parser's depth
    b"x" * 3_000_000,  # one long line, never ended
])
def test_junk_on_the_message_channel_is_counted_not_fatal(junk):
    source = ("import os\nfor fd in range(3, 32):\n    try:\n"
              f"        os.write(fd, {junk!r})\n    except OSError:\n        pass\n")
    run = sandbox.run(ROOT / "course" / "01-why-gradients.ipynb",
                      [{"id": "junk", "kind": "setup", "piece": None, "source": source}],
                      "01", 0, LIMITS, namespaces=namespaces_available() or False,
                      _keep_uid=not namespaces_available())
    assert run.doc is not None, (run.problem, run.output[-1000:])
    assert run.doc["channel"]["garbage_lines"] >= 1
    assert {"kind": "done"} in run.doc["messages"]
