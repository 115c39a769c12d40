"""The unit of work, ``grade_submission(job)``, runs on a Dask cluster unchanged: a local one
here (threads in this process, so also the case of concurrent gradings in one process)."""

from __future__ import annotations

import pickle

import pytest

from graders.grade.batch import Job, grade_batch
from graders.grade.sandbox import Limits

from . import _grading as g

LIMITS = Limits(cell_s=10, notebook_s=60, memory_mb=512, nproc=8)
SWAPPED = """\
class Mul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * a, grad_output * b
"""


def test_grading_on_a_local_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    from dataclasses import asdict

    reference = g.reference_cells(g.CH02)
    deserved = {"correct": 12, "swapped": 9, "blank": 0}
    cells = {"correct": reference, "swapped": {**reference, "mul": SWAPPED}, "blank": {}}
    jobs = []
    for student, chosen in cells.items():
        path = g.write(tmp_path, student, g.CH02, g.notebook(g.CH02, chosen))
        jobs.append(Job(student, g.CH02, str(path), str(g.ROOT), seed=1234 + len(jobs),
                        limits=asdict(LIMITS)))
    assert pickle.loads(pickle.dumps(jobs)) == jobs  # plain, picklable arguments
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=3,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            results = grade_batch(jobs, executor=client)
    # A mismatch says why: each submission's outcome, reason and the end of its output.
    why = [(r.student, r.outcome, r.reason, (r.output or "")[-800:]) for r in results]
    assert {r.student: r.score for r in results} == deserved, why
    assert all(r.outcome in ("graded", "partial") for r in results)
    assert pickle.loads(pickle.dumps(results))[0].cells  # plain results come back
