"""The benchmark scripts import their neighbours as top-level modules, as they do when run as scripts."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
