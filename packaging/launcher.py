"""Entry script of the frozen app: the same as `vatp-studio`."""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
