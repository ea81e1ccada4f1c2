"""``python -m interactive_seg.cli``: the ``interactive-seg`` command."""

import sys

from . import main

if __name__ == "__main__":  # not when a test collector imports the module
    sys.exit(main())
