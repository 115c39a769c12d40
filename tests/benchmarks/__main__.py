"""``make bench``: the workloads of every installed library, one process, one table.

Threads are pinned to 1 for every library before NumPy loads. Results go to stdout as a
table of medians and ratios (to raw NumPy, the floor, and to PyTorch) and to a JSON file.
``--quick`` runs each workload a few times and only checks correctness (used by make test).
With a GPU (CuPy and CUDA), the G rows time MLP steps on it (``gpu.py``); without one they
are skipped, saying why.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402

from . import gpu, harness, memory, workloads  # noqa: E402

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def steady_allocator():
    """Keep freed memory mapped, for every library alike; returns what was done, in words.

    By default glibc hands memory back to the OS once enough is free at the top of the heap,
    and serves large arrays with fresh mappings; the next step then page-faults it back in,
    and how often depends on what ran before. The W4 floor took 336 page faults a step
    interleaved with the engine and 1,136 alone (6.8 against 9.3 ms): its ratio measured the
    allocator's history as much as the work. Fixed thresholds remove that for all libraries
    (the memory rows use tracemalloc, which this does not change)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30) and libc.mallopt(_M_MMAP_THRESHOLD, 1 << 25)
    except (OSError, AttributeError):
        ok = False
    return ("glibc trim and mmap thresholds fixed (1 GiB, 32 MiB)" if ok
            else "default (not glibc: thresholds left as they are)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="check correctness, time little")
    parser.add_argument("--json", default="build/bench.json", help="where to write results")
    parser.add_argument("--only", default="", help="run workloads whose name contains this")
    args = parser.parse_args(argv)

    libs = harness.available()
    if "torch" in libs:
        import torch

        torch.set_num_threads(1)
    from engine import _speedups

    engine_kind = _speedups.status()
    allocator = steady_allocator()
    print(f"libraries: {', '.join(libs)}; python {platform.python_version()}; "
          f"engine: {engine_kind}; allocator: {allocator}", flush=True)
    report, failures = {}, []
    header = f"{'workload':<28} {'library':<10} {'median':>10} {'x numpy':>8} {'x torch':>8}  target"
    print(header)
    print("-" * len(header))
    for title, (maker, dtype, target, versus) in workloads.WORKLOADS.items():
        if args.only and args.only not in title:
            continue
        made = {name: maker(name, dtype) for name in libs}
        made = {name: m for name, m in made.items() if m is not None}
        reference = made["numpy"][1]()
        for name, (_, result) in made.items():
            if name != "numpy" and not harness.check(result(), reference):
                failures.append(f"{title}: {name} disagrees with the NumPy reference")
        steps = {name: step for name, (step, _) in made.items()}
        times = harness.measure(steps, rounds=2 if args.quick else 15,
                                target_seconds=0.001 if args.quick else 0.02)
        report[title] = {"target": f"<= {target} x {versus}", "seconds": times}
        for name, seconds in times.items():
            to_np = seconds / times["numpy"]
            to_torch = seconds / times["torch"] if "torch" in times else float("nan")
            mark = ""
            if name == "engine":
                ratio = to_torch if versus == "torch" else to_np
                mark = f"<= {target} x {versus}: {'met' if ratio <= target else 'NOT met'}"
            print(f"{title:<28} {name:<10} {harness.fmt_time(seconds):>10} {to_np:>8.2f} "
                  f"{to_torch:>8.2f}  {mark}", flush=True)
    if not args.only or "M" in args.only:
        plain, ckpt, equal = memory.m1_checkpoint_memory(
            *((16, 64, 64, 4) if args.quick else (64, 128, 2048, 8)))
        growth = memory.m2_steady_memory(*((100, 50) if args.quick else (1000, 200)))
        report["M1 checkpoint memory"] = {"plain_bytes": plain, "checkpointed_bytes": ckpt,
                                          "ratio": ckpt / plain, "gradients_equal": equal}
        report["M2 steady memory"] = {"growth_bytes": growth}
        print(f"M1 checkpoint memory: peak {ckpt / 2**20:.1f} MiB vs {plain / 2**20:.1f} MiB "
              f"= {ckpt / plain:.2f} x (target <= 0.30), gradients equal: {equal}")
        print(f"M2 steady memory: {growth} bytes of growth after warm-up (target: none)")
        if not equal:
            failures.append("M1: checkpointed gradients differ")
    if not args.only or any(args.only in title for title in gpu.GPU_WORKLOADS):
        gpu.run(args.quick, report, failures, args.only)
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"libraries": libs, "engine": engine_kind, "allocator": allocator,
                   "quick": args.quick, "results": report}, f, indent=2)
    for failure in failures:
        print("FAILED:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
