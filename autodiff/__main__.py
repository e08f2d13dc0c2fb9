"""``python3 -m autodiff``: the command line of `autodiff.cli`."""

import sys

from autodiff.cli import main

if __name__ == "__main__":
    sys.exit(main())
