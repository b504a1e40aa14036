"""README's demo checks read the chain with the browser tests' reader (tests/browser/chain.py)
and drive Chromium with their settings."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
