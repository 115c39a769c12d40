"""Compile the engine's hot modules with Cython: ``python -m engine._compile`` (``make speedups``).

The modules are compiled as they are (no Cython-specific code in the engine), into
``engine/_compiled/``, with a manifest of each source's hash; ``engine._speedups`` loads a
compiled module only while its source is unchanged. The C core, ``_core.pyx``, is built with
them (its entry hashes it together with the Python sources it copies). Needs Cython and a
C compiler (the ``speedups`` extra, and gcc with the Python headers). ``--clean`` removes
the build.

Where the compiler is GCC 10 or newer on Linux, the build is profile-guided: compiled once
with counters, run on ``engine/_pgo_train.py``, compiled again with the counts (and
``-fno-plt``, so calls into libpython skip the per-module stubs). The frequent paths come out
contiguous and the rest out of their way: fewer instruction-cache misses, measured in
tests/benchmarks/NOTES.md. Elsewhere, or with ``--plain``, or if the training run fails, it is
one plain compile (which it says).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from ._speedups import COMPILED_DIR, MANIFEST, PACKAGE_DIR, entry_hash

# The modules on the hot paths of recording, backward and the ops (measured, NOTES.md).
# Not compiled: viz, nn and optim (their time is in NumPy), testing, and every __init__.
MODULES = [
    "_tensor.py", "_tensor_ops.py", "_tensor_math.py", "_tensor_shape.py", "_functions.py",
    "creation.py", "dtypes.py", "backend.py",
    "autograd/function.py", "autograd/engine_loop.py", "autograd/grad_mode.py",
    "autograd/graph.py", "ops/dual.py", "ops/unary.py", "ops/binary.py", "ops/reduce.py",
    "ops/extremes.py", "ops/movement.py", "ops/indexing.py", "ops/linalg.py",
    "ops/conversion.py", "ops/scan.py", "ops/tiles.py", "ops/gather.py", "ops/trig.py",
    "ops/logexp.py", "ops/pointwise.py", "ops/triangular.py", "ops/sorting.py",
    "ops/selection.py", "ops/stacking.py", "ops/einsum.py",
]
# The C core: a C-level copy of Function.apply's common paths (see _core.pyx), stale as soon
# as it or any source it copies changes.
CORE = "_core.pyx"
CORE_MIRRORS = ["engine/autograd/function.py", "engine/autograd/engine_loop.py",
                "engine/_tensor.py", "engine/autograd/graph.py", "engine/_tensor_ops.py",
                "engine/autograd/grad_mode.py", "engine/ops/dual.py", "engine/backend.py"]


def _module_name(rel: str) -> str:
    return "engine." + rel.rsplit(".", 1)[0].replace("/", ".")


def build(jobs: int = 2, guided: bool = True) -> dict:
    """Compile every module into COMPILED_DIR; profile-guided where the compiler is GCC."""
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError as exc:
        raise SystemExit(f"engine._compile needs Cython and setuptools ({exc}); install them "
                         "with: pip install -e '.[speedups]'") from None
    if not Path(sysconfig.get_paths()["include"], "Python.h").exists():
        raise SystemExit("engine._compile needs the Python headers (Python.h); on Debian/Ubuntu: "
                         "apt-get install python3-dev")
    clean()
    with tempfile.TemporaryDirectory(prefix="engine-compile-") as tmp:
        # A copy of the package tree, so the build writes nothing next to the sources.
        tree = Path(tmp) / "engine"
        shutil.copytree(PACKAGE_DIR, tree, ignore=shutil.ignore_patterns(
            "_compiled", "__pycache__", "*.so"))
        import numpy  # the core reads array flags through NumPy's C API

        extensions = [Extension(_module_name(rel), [str(tree / rel)]) for rel in MODULES]
        extensions.append(Extension(
            _module_name(CORE), [str(tree / CORE)], include_dirs=[numpy.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]))
        compiled = cythonize(extensions, language_level=3, nthreads=jobs, quiet=True,
                             compiler_directives={"binding": True, "embedsignature": True})
        why_not = _why_not_guided() if guided else "not asked for (--plain)"
        flags = []
        if why_not is None:
            # The same tree and object paths both times, so the second compile finds the
            # first one's counts (gcc names each .gcda after its object file).
            profile = Path(tmp, "profile")
            _compile_extensions(compiled, tmp, jobs, ["-fno-plt", f"-fprofile-generate={profile}"])
            _install(tmp, guided=False)
            try:
                why_not = _train()
            finally:  # never leave the instrumented modules installed (they write counts)
                clean()
            flags = ["-fno-plt"]
            if why_not is None:
                flags += [f"-fprofile-use={profile}", "-fprofile-partial-training",
                          "-Wno-missing-profile"]
        _compile_extensions(compiled, tmp, jobs, flags)
        manifest = _install(tmp, guided=why_not is None)
    if why_not is not None:
        print(f"engine._compile: plain build, not profile-guided: {why_not}")
    return manifest


def _why_not_guided():
    """None when this machine can make a profile-guided build (GCC 10 or newer on Linux,
    for ``-fprofile-partial-training`` and ``-fno-plt``), else the reason, in words."""
    if not sys.platform.startswith("linux"):
        return f"needs GCC on Linux, this is {sys.platform}"
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    try:
        version = subprocess.run(compiler + ["-dumpfullversion", "-dumpversion"],
                                 capture_output=True, text=True, timeout=60)
        about = subprocess.run(compiler + ["--version"], capture_output=True, text=True,
                               timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not run the compiler {compiler[0]!r} ({exc})"
    if "clang" in about.lower() or "Free Software Foundation" not in about:
        return f"the compiler is not GCC ({about.splitlines()[0] if about else compiler[0]})"
    major = version.stdout.strip().split(".")[0]
    if not major.isdigit() or int(major) < 10:
        return f"needs GCC 10 or newer, this is {version.stdout.strip() or 'unknown'}"
    return None


def _compile_extensions(extensions, tmp: str, jobs: int, flags: list[str]) -> None:
    """Compile and link every extension with these extra flags (after Python's own, so
    they add to its -O3), always from scratch."""
    from setuptools import setup

    for ext in extensions:
        ext.extra_compile_args = list(flags)
        ext.extra_link_args = [f for f in flags if f.startswith("-fprofile-generate")]
    setup(name="engine-compiled", ext_modules=extensions, packages=[], py_modules=[],
          script_args=["build_ext", "--build-lib", f"{tmp}/lib", "--build-temp",
                       f"{tmp}/temp", "--parallel", str(jobs), "--force"])


def _install(tmp: str, guided: bool) -> dict:
    """Copy the built modules into COMPILED_DIR and write their manifest."""
    clean()
    modules = {}
    for rel in MODULES + [CORE]:
        stem = Path(rel).with_suffix("")
        built = next(Path(tmp, "lib", "engine").glob(f"{stem}.*[.]so"), None) or next(
            Path(tmp, "lib", "engine").glob(f"{stem}.*[.]pyd"))
        target = COMPILED_DIR / built.relative_to(Path(tmp, "lib", "engine"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)
        mirrors = CORE_MIRRORS if rel == CORE else []
        modules[_module_name(rel)] = {
            "source": f"engine/{rel}", "extension": str(target.relative_to(COMPILED_DIR)),
            "sha256": entry_hash(PACKAGE_DIR / rel, mirrors)}
        if mirrors:
            modules[_module_name(rel)]["mirrors"] = mirrors
    import numpy  # the core is compiled against this NumPy's C API

    manifest = {"python": sys.implementation.cache_tag, "numpy": numpy.__version__,
                "profile_guided": guided, "modules": modules}
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def _train():
    """Run engine._pgo_train on the instrumented build; None if it ran, else why not."""
    environ = {k: v for k, v in os.environ.items() if k != "GRADBOOK_PURE"}
    try:
        done = subprocess.run([sys.executable, "-m", "engine._pgo_train"],
                              cwd=PACKAGE_DIR.parent, env=environ, capture_output=True,
                              text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the training run did not finish ({exc})"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return f"the training run failed (exit {done.returncode}): " + " / ".join(tail)
    return None


def fresh() -> str | None:
    """Why the build in COMPILED_DIR is up to date, or None if it must be rebuilt: every
    module built for this Python from its current source, profile-guided where it can be."""
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    import numpy

    if (manifest.get("python"), manifest.get("numpy")) != (sys.implementation.cache_tag,
                                                           numpy.__version__):
        return None
    entries = manifest.get("modules", {})
    for rel in MODULES + [CORE]:
        entry = entries.get(_module_name(rel))
        if entry is None or not (COMPILED_DIR / entry["extension"]).exists():
            return None
        if entry_hash(PACKAGE_DIR / rel, entry.get("mirrors", ())) != entry["sha256"]:
            return None
    if manifest.get("profile_guided"):
        return "profile-guided"
    return None if _why_not_guided() is None else "plain"


def clean() -> None:
    if COMPILED_DIR.exists():
        shutil.rmtree(COMPILED_DIR)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine._compile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules")
    parser.add_argument("--jobs", type=int, default=2, help="parallel compiler processes")
    parser.add_argument("--if-stale", action="store_true",
                        help="do nothing when the build is fresh (every source unchanged)")
    parser.add_argument("--plain", action="store_true",
                        help="one plain compile, without the profile-guided second pass")
    args = parser.parse_args(argv)
    if args.clean:
        clean()
        print(f"removed {COMPILED_DIR}")
        return 0
    if args.if_stale and (kind := fresh()) is not None:
        print(f"the compiled modules in {COMPILED_DIR} are fresh ({kind}); nothing to do")
        return 0
    manifest = build(args.jobs, guided=not args.plain)
    how = "profile-guided" if manifest["profile_guided"] else "plain"
    print(f"compiled {len(manifest['modules']) - 1} modules and the C core into {COMPILED_DIR} "
          f"({how})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
