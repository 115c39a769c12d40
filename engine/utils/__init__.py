"""``engine.utils``: gradient checkpointing (``engine.utils.checkpoint``)."""

from . import checkpoint  # noqa: F401
