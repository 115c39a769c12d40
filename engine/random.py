"""Random numbers: one seeded generator for the whole engine (``manual_seed``).

Numbers are drawn on the CPU with NumPy's PCG64 and moved to the device, so a seed gives the
same tensor on every device. They are not the same numbers PyTorch draws.
"""

from __future__ import annotations

import numpy

_generator = numpy.random.default_rng(0)


class Generator:
    """The state behind ``manual_seed``; ``get_state``/``set_state`` replay randomness (used by
    checkpointing to recompute dropout masks exactly)."""

    def __init__(self, seed=0):
        self.rng = numpy.random.default_rng(seed)
        self._seed = seed

    def manual_seed(self, seed):
        self.rng = numpy.random.default_rng(int(seed))
        self._seed = int(seed)
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed):
    return default_generator.manual_seed(seed)


def seed():
    import secrets

    return manual_seed(secrets.randbits(63)).initial_seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def rng(generator=None):
    return (generator or default_generator).rng
