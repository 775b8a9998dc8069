"""``python -m apigen.cli``: the same entry point as the ``apigen`` script."""

import sys

from apigen.cli import main

sys.exit(main())
