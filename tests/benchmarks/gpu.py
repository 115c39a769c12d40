"""The GPU rows of ``make bench``: MLP training steps on CUDA, when a GPU is present.

One step is forward, backward, an SGD update and zeroing the gradients (W3's step), written
three ways: the engine with ``device="cuda"``; by hand in CuPy, with the backward pass
derived on paper (the floor: the GPU's own cost, no autograd at all); and PyTorch on CUDA.
GPU work is asynchronous (an op returns once its kernel is queued), so every sample
synchronises the device before it starts and before it reads the clock.

    G1  W3's MLP, 784-256-256-10, batch 128: small kernels, so per-op overhead shows
    G2  a 4096-wide MLP, 4096-4096-4096-10, batch 1024: the kernels dominate
"""

from __future__ import annotations

import importlib.util

from . import harness, workloads

GPU_WORKLOADS = {
    # title: (sizes, batch, target ratio to the hand-written CuPy floor, or None to report)
    "G1 W3 MLP step, GPU": (workloads.SIZES, 128, None),
    "G2 MLP 4096-wide, GPU": ((4096, 4096, 4096, 10), 1024, 1.10),
}
LR = 0.01


def unavailable_reason():
    """None when the engine can use a GPU, otherwise why the GPU rows are skipped."""
    import engine

    return engine.cuda.unavailable_reason()


def _torch_cuda():
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    return torch if torch.cuda.is_available() else None


def _cupy_step(cp, sizes, batch, dtype):
    """The floor: the same step in CuPy, gradients by hand (as workloads._numpy_mlp_grads)."""
    ws, bs, x, y = workloads._mlp_data(dtype, batch, sizes)
    ws, bs = [cp.asarray(w) for w in ws], [cp.asarray(b) for b in bs]
    x, y = cp.asarray(x), cp.asarray(y)
    n = len(ws)

    def grads():
        acts, h = [x], x
        for i in range(n):
            h = h @ ws[i] + bs[i]
            if i < n - 1:
                h = cp.maximum(h, 0)
            acts.append(h)
        g = 2 * (h - y) / h.size
        gws, gbs = [None] * n, [None] * n
        for i in reversed(range(n)):
            gws[i] = acts[i].T @ g
            gbs[i] = g.sum(0)
            if i:
                g = (g @ ws[i].T) * (acts[i] > 0)
        return gws, gbs

    def step():
        gws, gbs = grads()
        for p, g in zip(ws + bs, gws + gbs):
            p -= LR * g

    return step, lambda: [cp.asnumpy(g) for g in grads()[0]]


def _autograd_step(lib, sizes, batch, dtype):
    """The engine's or PyTorch's step: W3's code with every tensor on "cuda"."""
    ws, bs, x, y = workloads._mlp_data(dtype, batch, sizes)
    params = [lib.tensor(p, device="cuda", requires_grad=True) for p in ws + bs]
    X, Y = lib.tensor(x, device="cuda"), lib.tensor(y, device="cuda")
    n = len(ws)

    def forward():
        h = X
        for i in range(n):
            h = h @ params[i] + params[n + i]
            if i < n - 1:
                h = h.relu()
        return ((h - Y) ** 2).mean()

    def step():
        forward().backward()
        with lib.no_grad():
            for p in params:
                p -= LR * p.grad
        for p in params:
            p.grad = None

    def result():
        forward().backward()
        grads = [p.grad.cpu().numpy() for p in params[:n]]
        for p in params:
            p.grad = None
        return grads

    return step, result


def run(quick, report, failures, only="", rows=None):
    """Print the GPU rows (or why there are none) and add them to ``report``. ``rows``
    replaces ``GPU_WORKLOADS`` (the tests run small ones on the CPU stand-in for CuPy)."""
    reason = unavailable_reason()
    if reason is not None:
        print(f"GPU rows skipped: {reason}")
        report["GPU"] = {"skipped": reason}
        return
    import engine

    cp = engine.backend.cupy_module()  # CuPy, as the engine found it

    torch = _torch_cuda()
    if torch is None:
        print("GPU rows: PyTorch with CUDA is not installed; comparing with CuPy only.")

    def sync():
        engine.cuda.synchronize()
        if torch is not None:
            torch.cuda.synchronize()

    try:
        print(f"GPU: {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
    except AttributeError:  # the CPU stand-in has no properties to show
        pass
    header = f"{'workload':<28} {'library':<10} {'median':>10} {'x cupy':>8} {'x torch':>8}  target"
    print(header)
    print("-" * len(header))
    for title, (sizes, batch, target) in (rows or GPU_WORKLOADS).items():
        if only and only not in title:
            continue
        made = {"cupy": _cupy_step(cp, sizes, batch, "float32"),
                "engine": _autograd_step(engine, sizes, batch, "float32")}
        if torch is not None:
            made["torch"] = _autograd_step(torch, sizes, batch, "float32")
        reference = made["cupy"][1]()
        if sizes == workloads.SIZES:  # small enough for NumPy to check the floor itself
            ws, bs, x, y = workloads._mlp_data("float32", batch, sizes)
            if not harness.check(reference, workloads._numpy_mlp_grads(ws, bs, x, y)[0]):
                failures.append(f"{title}: the CuPy floor disagrees with the NumPy reference")
        for name, (_, result) in made.items():
            if name != "cupy" and not harness.check(result(), reference):
                failures.append(f"{title}: {name} disagrees with the CuPy reference")
        times = harness.measure({name: step for name, (step, _) in made.items()},
                                rounds=2 if quick else 15,
                                target_seconds=0.001 if quick else 0.05, sync=sync)
        report[title] = {"target": None if target is None else f"<= {target} x cupy",
                         "seconds": times}
        for name, seconds in times.items():
            to_cupy = seconds / times["cupy"]
            to_torch = seconds / times["torch"] if "torch" in times else float("nan")
            mark = ""
            if name == "engine" and target is not None:
                mark = f"<= {target} x cupy: {'met' if to_cupy <= target else 'NOT met'}"
            print(f"{title:<28} {name:<10} {harness.fmt_time(seconds):>10} {to_cupy:>8.2f} "
                  f"{to_torch:>8.2f}  {mark}", flush=True)


__all__ = ["GPU_WORKLOADS", "run", "unavailable_reason"]
