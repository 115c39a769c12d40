"""``make test`` runs the benchmarks in quick mode so they cannot rot: every library's results
must equal the NumPy reference (the timings themselves are not asserted)."""

import json

from tests.benchmarks.__main__ import main


def test_benchmarks_run_and_agree_with_numpy(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["--quick", "--json", str(out)]) == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert report["quick"] is True
    results = report["results"]
    assert {"W1 two-parameter fit", "W3 MLP step float32", "W4 deep chain"} <= set(results)
    assert all("engine" in r["seconds"] for k, r in results.items() if k.startswith("W"))
    assert results["M1 checkpoint memory"]["gradients_equal"]


def test_gpu_rows_run_on_the_cpu_stand_in_for_cupy(capsys):
    """The GPU rows' code (the CuPy floor, the engine on "cuda", synchronised timing) runs
    here on the CPU stand-in for CuPy, with small sizes; on a GPU `make bench` runs it for
    real."""
    from engine import _fake_cupy
    from tests.benchmarks import gpu, workloads

    report, failures = {}, []
    with _fake_cupy.installed() as fake:
        gpu.run(True, report, failures,
                rows={"G1 W3 MLP step, GPU": (workloads.SIZES, 16, None),
                      "G2 small": ((32, 64, 10), 8, 100.0)})
        assert fake.stats.synchronize > 0  # the clock is read after synchronising
    out = capsys.readouterr().out
    assert not failures, failures
    assert set(report) == {"G1 W3 MLP step, GPU", "G2 small"}
    assert {"cupy", "engine"} <= set(report["G2 small"]["seconds"])
    assert "G2 small" in out and "<= 100.0 x cupy" in out


def test_gpu_rows_say_why_they_are_skipped(capsys):
    from engine import backend
    from tests.benchmarks import gpu

    previous = backend._swap_cupy(None, "CuPy is not importable (test)")
    try:
        report = {}
        gpu.run(True, report, [])
    finally:
        backend._swap_cupy(*previous)
    assert "GPU rows skipped: CuPy is not importable (test)" in capsys.readouterr().out
    assert report["GPU"]["skipped"].startswith("CuPy is not importable (test). Install the gpu")
