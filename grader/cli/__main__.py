"""``python -m grader.cli``: the same as the ``grader`` command."""

import sys

from grader.cli.app import main

sys.exit(main())
