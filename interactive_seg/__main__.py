"""``python -m interactive_seg``: the ``interactive-seg`` command."""

import sys

from .cli import main

if __name__ == "__main__":  # not when a test collector imports the module
    sys.exit(main())
