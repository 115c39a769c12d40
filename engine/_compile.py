"""Compile the engine's hot modules with Cython: ``python -m engine._compile`` (``make speedups``).

The modules are compiled as they are (no Cython-specific code in the engine), into
``engine/_compiled/``, with a manifest of each source's hash; ``engine._speedups`` loads a
compiled module only while its source is unchanged. The C core, ``_core.pyx``, is built with
them (its entry hashes it together with the Python sources it copies). Needs Cython and a
C compiler (the ``speedups`` extra, and gcc with the Python headers). ``--clean`` removes
the build.
"""

from __future__ import annotations

import argparse
import json
import shutil
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
                "engine/autograd/grad_mode.py"]


def _module_name(rel: str) -> str:
    return "engine." + rel.rsplit(".", 1)[0].replace("/", ".")


def build(jobs: int = 2) -> dict:
    try:
        from Cython.Build import cythonize
        from setuptools import Extension, setup
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
        setup(name="engine-compiled", ext_modules=compiled, packages=[], py_modules=[],
              script_args=["build_ext", "--build-lib", f"{tmp}/lib", "--build-temp",
                           f"{tmp}/temp", "--parallel", str(jobs)])
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
    manifest = {"python": sys.implementation.cache_tag, "modules": modules}
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def clean() -> None:
    if COMPILED_DIR.exists():
        shutil.rmtree(COMPILED_DIR)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine._compile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules")
    parser.add_argument("--jobs", type=int, default=2, help="parallel compiler processes")
    args = parser.parse_args(argv)
    if args.clean:
        clean()
        print(f"removed {COMPILED_DIR}")
        return 0
    manifest = build(args.jobs)
    print(f"compiled {len(manifest['modules']) - 1} modules and the C core into {COMPILED_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
