"""``python -m heron`` is the ``heron`` command."""

import sys

from heron.cli.main import main

sys.exit(main())
