"""``make test`` runs the grading benchmark in quick mode so it cannot rot: gradbook grade and
nbgrader autograde must give the same scores on the same honest submissions (the timings
themselves are not asserted)."""

import json

from tests.benchmarks.grading import main


def test_grading_benchmark_runs_and_both_graders_agree(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["--quick", "--jobs", "2", "--json", str(out)]) == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert report["quick"] is True and report["agree"] is True and report["submissions"] == 2
    assert set(report["per_minute"]) == {"gradbook grade", "nbgrader autograde"}
