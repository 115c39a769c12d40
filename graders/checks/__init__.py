"""The visible checks that chapter notebooks run right after each exercise.

One module per chapter (``ch01``, ...), one function per exercise, named after the engine
piece it checks::

    from graders.checks import ch01 as check
    check.central_difference(central_difference)

A check prints one line when every case passes, and otherwise raises ``CheckFailed`` (an
``AssertionError``) saying which case failed, its input, the expected value and what came
back, with a hint.
"""

from ._core import Case, CheckFailed, run

__all__ = ["Case", "CheckFailed", "run"]
