"""benchmarks/label_errors.py --cli (the issue 14 benchmark of `labelqa label-errors`) at a tiny size: the command
runs end to end on generated files (wide and long layouts) and flags exactly what the core flags on the arrays."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_label_errors_benchmark_runs_and_agrees(layout):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "label_errors.py"), "--cli", "--n", "3000",
                          "--k", "7", "--layout", layout], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip().splitlines()[-1]
    assert f"n=3,000 k=7 {layout}" in line and "equal" in line and "DIFFERENT" not in line
