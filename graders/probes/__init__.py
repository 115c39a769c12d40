"""Observations: how the grader judges a piece without trusting the student's process.

A visible check (``graders.checks``) runs in the student's kernel, so a student could patch it.
For grading, each piece has an **observation**: a function that runs the piece on inputs the
grader chose and returns plain data. The same function runs twice:

* in the sandbox, on the student's piece (only its JSON result crosses the boundary);
* in the grader's own process, on the reference solution's piece (``solutions/NN-*.py``).

The grader compares the two (``compare``) and awards the check cell's points only when every
case agrees. Expected values and the comparison never enter the student's process.

A chapter module ``graders/probes/chNN.py`` defines, for every piece its exercises build::

    def central_difference(piece, rng):
        return {
            "slope of x**2 at 3": attempt(lambda: piece(lambda x: x**2, 3.0, 1e-5)),
            ...
        }

    TOLERANCE = {"central_difference": (1e-6, 1e-8)}   # optional: (rtol, atol) per piece

* ``piece`` is the object the exercise defines (function or class); ``rng`` is a
  ``numpy.random.Generator`` the grader seeds (the same seed on both sides), so draw random
  inputs from it and nothing else.
* The keys name the cases; the feedback shows them, so say what was tried (never the answer).
* Each value goes through ``attempt`` (an exception becomes ``{"raised": "TypeError"}``: a case
  where the reference raises expects the same exception type) and must be plain data:
  ``to_plain`` turns arrays, tensors, tuples and numbers into JSON-able values.
* Observations must be deterministic given ``rng`` and fast (well under a second per piece).
"""

from ._observe import attempt, compare, observe, op_observation, to_plain

__all__ = ["attempt", "compare", "observe", "op_observation", "to_plain"]
