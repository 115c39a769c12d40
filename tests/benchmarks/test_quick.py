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
