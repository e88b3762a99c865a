"""Entry script of the frozen command line: the same as `vatp` (a console executable beside the app's)."""

import multiprocessing
import sys

from vatp_core.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # Ray and the feature extractors may start processes from this executable
    sys.exit(main())
