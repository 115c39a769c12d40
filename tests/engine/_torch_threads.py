"""An autouse fixture for oracle tests: run torch on one thread while the test runs.

Small tensors gain nothing from threads, and on a busy machine torch's thread pool spins:
the nn/optim oracle tests ran 20x slower with the default pool. Import the fixture into a test
module to use it: ``from ._torch_threads import torch_one_thread  # noqa: F401``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def torch_one_thread(request):
    if request.node.get_closest_marker("oracle") is None:
        yield
        return
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
