"""One exclusive lock per guarded file or directory, so that concurrent `dms` runs take turns."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path


@contextlib.contextmanager
def exclusive_lock(lock_path: Path):
    """Hold an flock on `lock_path` (created if absent) for the duration of the block.

    The lock lives in a file of its own, so that the guarded file can be replaced by rename meanwhile."""
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
