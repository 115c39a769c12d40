"""``python -m graders`` is the ``gradbook`` command."""

import sys

from .cli import main

sys.exit(main())
