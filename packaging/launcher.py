"""Entry script of the frozen app: the same as `vatp-studio`."""

import multiprocessing
import sys

from app.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # before anything else: the worker process is this executable re-run
    sys.exit(main())
