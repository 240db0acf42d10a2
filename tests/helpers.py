"""Shared test helpers: paths and a CLI runner (a plain module, not conftest.py: tests/e2e has its own conftest)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_clusters"


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python -m core ...` in a subprocess from the repository root."""
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
