"""tests/uplink/edge_process.py under libfaketime. libfaketime 0.9.10 fails clock_nanosleep (EINVAL) when
it leaves CLOCK_MONOTONIC alone, which Python's time.sleep uses: sleep with select() instead."""

import runpy
import select
import sys
import time
from pathlib import Path

time.sleep = lambda seconds: select.select([], [], [], max(0.0, seconds))
sys.argv[0] = str(Path(__file__).resolve().parents[1] / "uplink" / "edge_process.py")
runpy.run_path(sys.argv[0], run_name="__main__")
