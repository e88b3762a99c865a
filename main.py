"""Run VATP Studio from a source checkout: `python main.py [VIDEO]` (same as `vatp-studio`)."""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
