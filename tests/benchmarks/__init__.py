"""Benchmarks: ``python -m tests.benchmarks`` (``make bench``). Nothing here is a timed test."""
