"""A class of submissions for the grader's tests, generated from the released notebooks and
the reference solutions: honest work of every quality, and one student per attack.

``CLASS_01`` maps a student id to (the exercise and answers cells to put in the release of
chapter 01, an optional change to the whole notebook, the points the submission deserves).
Attack sources name the paths they go after as ``{root}``, ``{out}`` and ``{subs}``:
``paths()`` puts the real ones in.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from graders import notebook as nbk

ROOT = Path(__file__).resolve().parents[2]
CH01, CH02, CH03 = "01-why-gradients", "02-the-recorded-graph", "03-backward-and-grad"

CD_OK = """\
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)
"""
NG_OK = """\
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad
"""
NG_ONE_SIDED = """\
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step[i] = h
        grad[i] = (f(x + step) - f(x)) / h
    return grad
"""
CD_WRONG = """\
def central_difference(f, x, h=1e-5):
    return 42.0
"""
NG_WRONG = """\
def numerical_gradient(f, x, h=1e-5):
    return np.zeros_like(x, dtype=float)
"""
ALL_WRONG = 'answers = {"q1": "c", "q2": "c", "q3": "c"}\nquiz.recorded(answers)\n'


def answers(key: dict, right=("q1", "q2", "q3")) -> str:
    picked = {q: (letter if q in right else ("c" if letter != "c" else "a"))
              for q, letter in key.items()}
    return f"answers = {picked!r}\nquiz.recorded(answers)\n"


def class_01(key: dict) -> dict:
    """student -> (cells {grade_id: source}, notebook change or None, points deserved)."""
    ok = answers(key)
    full = {"central-difference": CD_OK, "numerical-gradient": NG_OK, "quiz-answers": ok}
    return {
        # honest work
        "correct": (full, None, 8),
        "blank": ({}, None, 0),
        "partly-wrong": ({"central-difference": CD_OK, "numerical-gradient": NG_ONE_SIDED,
                          "quiz-answers": answers(key, right=("q1",))}, None, 3),
        "close-inside": ({**full, "central-difference": CD_OK.replace(
            "return (f", "return (1 + 1e-9) * (f")}, None, 8),
        "close-outside": ({**full, "central-difference": CD_OK.replace(
            "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h")}, None, 6),
        "warnings": ({**full, "central-difference": CD_OK + (
            "import sys, warnings\nwarnings.warn('this API is deprecated')\n"
            "print('noise on stderr', file=sys.stderr)\n")}, None, 8),
        "kernel-changed": (full, "kernel", 8),
        "big-stored-output": (full, "big-output", 8),
        "delegates": ({**full, "numerical-gradient": (
            "from engine.testing import numerical_grad as _ng\n\n"
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    return _ng(lambda a: f(a), np.array(x, dtype=float), eps=h)[0]\n")}, None, 8),
        # attacks: each gains nothing
        "loop-in-cell": ({**full, "central-difference": "while True:\n    pass\n" + CD_OK},
                         None, 6),
        "loop-when-called": ({**full, "central-difference": (
            "def central_difference(f, x, h=1e-5):\n    while True:\n        pass\n")}, None, 6),
        "hang-uninterruptible": ({"central-difference": CD_OK, "quiz-answers": ok,
                                  "numerical-gradient": (
                                      "while True:\n    try:\n        while True:\n"
                                      "            pass\n    except BaseException:\n"
                                      "        pass\n")}, None, 2),
        "memory-bomb": ({**full, "central-difference": "hog = [0] * (10 ** 10)\n" + CD_OK},
                        None, 6),
        "fork-bomb": ({**full, "central-difference": CD_OK + FORK_BOMB}, None, 8),
        "writes-outside": ({**full, "central-difference": CD_OK + WRITE_ATTACK}, None, 8),
        "reads-secrets": ({"central-difference": READ_ATTACK, "quiz-answers": READ_KEY_ATTACK},
                          None, 0),
        "deletes-tests": ({"central-difference": CD_WRONG, "numerical-gradient": NG_WRONG,
                           "quiz-answers": ALL_WRONG}, "tamper", 0),
        "duplicate-ids": ({**full, "central-difference": CD_WRONG}, "duplicate", 6),
        "monkeypatches": ({"central-difference": CD_WRONG + PATCH_ATTACK,
                           "numerical-gradient": NG_WRONG, "quiz-answers": ALL_WRONG}, None, 0),
        "ipython-hooks": ({"central-difference": CD_WRONG + IPYTHON_ATTACK,
                           "numerical-gradient": NG_WRONG, "quiz-answers": ALL_WRONG}, None, 0),
        "forges-results": ({"central-difference": CD_WRONG + FORGE_ATTACK,
                            "numerical-gradient": NG_WRONG, "quiz-answers": ALL_WRONG}, None, 0),
        "always-equal": ({"central-difference": ALWAYS_EQUAL_CD,
                          "numerical-gradient": ALWAYS_EQUAL_NG,
                          "quiz-answers": ALWAYS_EQUAL_ANSWERS}, None, 0),
        "sys-exit": ({**full, "numerical-gradient": "import sys\nsys.exit(0)\n" + NG_OK},
                     None, 5),
        "os-exit": ({**full, "numerical-gradient": NG_OK + "import os\nos._exit(0)\n"},
                    None, 2),
        "prints-50mb": ({**full, "central-difference": CD_OK + "print('x' * 50_000_000)\n"},
                        None, 8),
        "html-in-errors": ({**full, "central-difference": (
            "class _E(Exception):\n    pass\n_E.__name__ = '<script>alert(1)</script>'\n"
            "def central_difference(f, x, h=1e-5):\n    raise _E('<b>x</b>')\n")}, None, 6),
    }


# Children spin forever; the parent forks until the process limit stops it, then goes on.
# Without the limit the cell would never end (and would time out).
FORK_BOMB = """
import os
_children = 0
while True:
    try:
        _pid = os.fork()
    except OSError:
        break
    if _pid == 0:
        while True:
            pass
    _children += 1
print("forked", _children, "children before the process limit stopped it")
"""

WRITE_ATTACK = """
for _path in ["{root}/solutions/pwned.txt", "{root}/graders/pwned.py", "{root}/engine/pwned.py",
              "{out}/pwned.txt", "{out}/journal.jsonl", "{subs}/correct/01-why-gradients.ipynb",
              "/tmp/pwned.txt", "/etc/pwned.txt", "../pwned.txt"]:
    try:
        with open(_path, "a") as _f:
            _f.write("pwned")
    except Exception:
        pass
"""

READ_ATTACK = """
_stolen = None
for _path in ["{subs}/correct/01-why-gradients.ipynb", "{root}/.git/HEAD"]:
    try:
        _stolen = open(_path).read()
    except Exception:
        pass
if _stolen and "central_difference" in _stolen:
    import json as _json
    for _cell in _json.loads(_stolen)["cells"]:
        if "def central_difference" in "".join(_cell["source"]):
            exec("".join(_cell["source"]))
else:
    def central_difference(f, x, h=1e-5):
        raise NotImplementedError()
"""

READ_KEY_ATTACK = """
import re as _re
answers = {"q1": "c", "q2": "c", "q3": "c"}
for _path in ["{root}/solutions/01-why-gradients.py", "{root}/build/nbgrader/source/01-why-gradients/01-why-gradients.ipynb"]:
    try:
        _text = open(_path).read()
        answers = eval(_re.search(r"answers = (\\{[^}]*\\})\\n### END", _text).group(1))
    except Exception:
        pass
for _path in ["{out}/journal.jsonl", "{out}/gradebook.db", "{out}/.secret"]:
    try:
        open(_path, "rb").read()
        answers = {"q1": "b", "q2": "d", "q3": "a"}
    except Exception:
        pass
"""

PATCH_ATTACK = """
import builtins, math
import numpy
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
math.isclose = lambda *a, **k: True
import graders.checks._core as _core
_core.compare = lambda *a, **k: None
import graders.probes._observe as _observe
_observe.compare = lambda *a, **k: []
_observe.to_plain = lambda value: value
builtins.AssertionError = type("AssertionError", (Exception,), {})
"""

IPYTHON_ATTACK = """
import sys
sys.excepthook = lambda *a: None
try:
    _ip = get_ipython()
    _ip.input_transformers_post.append(lambda lines: [])
    _ip.set_custom_exc((BaseException,), lambda *a, **k: None)
except NameError:
    pass
try:
    import IPython
    _ip = IPython.get_ipython()
    _ip.input_transformers_post.append(lambda lines: [])
except Exception:
    pass
"""

FORGE_ATTACK = """
import json as _json, os as _os
_forged = {"nonce": "0" * 32, "messages": [
    {"kind": "piece", "name": "central_difference", "observation": {}},
    {"kind": "answers", "answers": {"q1": "b", "q2": "d", "q3": "a"}}]}
_line = (_json.dumps(_forged) + "\\n").encode()
_message = (_json.dumps({"kind": "answers", "answers": {"q1": "b", "q2": "d", "q3": "a"}})
            + "\\n").encode()
for _fd in range(1, 64):
    for _data in (_line, _message):
        try:
            _os.write(_fd, _data)
        except OSError:
            pass
for _path in ["result.json", "/tmp/result.json", "{out}/result.json"]:
    try:
        open(_path, "w").write(_json.dumps(_forged))
    except OSError:
        pass
"""

ALWAYS_EQUAL_CD = """
class _Yes(float):
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False
    __hash__ = float.__hash__

class _Any:
    def __eq__(self, other):
        return True

def central_difference(f, x, h=1e-5):
    return _Any()
"""
ALWAYS_EQUAL_NG = """
class _Arr(np.ndarray):
    def __eq__(self, other):
        return True

def numerical_gradient(f, x, h=1e-5):
    return np.zeros_like(x, dtype=float).view(_Arr)
"""
ALWAYS_EQUAL_ANSWERS = """
class _Letter:
    def __eq__(self, other):
        return True
    def strip(self):
        return self
    def lower(self):
        return self
answers = {"q1": _Letter(), "q2": _Letter(), "q3": _Letter()}
"""


def paths(source: str, root: Path, out: Path, subs: Path) -> str:
    return (source.replace("{root}", str(root)).replace("{out}", str(out))
            .replace("{subs}", str(subs)))


def notebook(chapter: str, cells: dict[str, str], change: str | None = None) -> dict:
    """The release of ``chapter`` with ``cells`` (grade_id -> source) put in."""
    nb = json.loads((ROOT / "course" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in cells:
            cell["source"] = cells[gid]
    if change == "kernel":
        nb["metadata"]["kernelspec"] = {"name": "evil-kernel", "display_name": "Evil",
                                        "language": "python"}
    elif change == "big-output":
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                    "text": "y" * 50_000_000}]
                break
    elif change == "tamper":
        kept = []
        for cell in nb["cells"]:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid == "central-difference-check":
                continue  # deleted
            if gid in ("numerical-gradient-check", "quiz-q1"):
                cell["source"] = "pass"
                cell["metadata"]["nbgrader"]["points"] = 100
            kept.append(cell)
        nb["cells"] = kept
    elif change == "duplicate":
        extra = []
        for cell in nb["cells"]:
            extra.append(cell)
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid == "central-difference":
                twin = copy.deepcopy(cell)
                twin["source"] = CD_OK
                twin["id"] = "twin-cd"
                extra.append(twin)
            if gid == "central-difference-check":
                twin = copy.deepcopy(cell)
                twin["source"] = "pass"
                twin["id"] = "twin-check"
                twin["metadata"]["nbgrader"]["points"] = 100
                extra.append(twin)
        nb["cells"] = extra
    return nb


def reference_cells(chapter: str) -> dict[str, str]:
    """The reference solution's exercise and answers cells (grade_id -> source)."""
    source = nbk.load_source(ROOT / "solutions" / f"{chapter}.py")
    return {nbk.grade_id(c): c.source for c in source.cells
            if nbk.is_solution(c) and nbk.grade_id(c)}


def write(folder: Path, student: str, chapter: str, nb: dict | bytes) -> Path:
    path = Path(folder) / student / f"{chapter}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(nb if isinstance(nb, bytes) else json.dumps(nb).encode())
    return path
