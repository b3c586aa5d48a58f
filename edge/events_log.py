"""The `--events-out` JSON lines: a record of what the cab was warned about, never a condition of it.

A full disk, a vanished mount or a read-only file must not stop the monitoring loop nor the alert that
comes before the write: the first failure is reported in one line, later failures are only counted,
and every line is tried again (the disk may come back).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, Any

from dms.errors import UserError

log = logging.getLogger(__name__)


class EventsLog:
    def __init__(self, target: IO[str] | Path):
        if hasattr(target, "write"):
            self._fh, self._owned, self.name = target, False, getattr(target, "name", "the events stream")
        else:
            path = Path(target)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = path.open("a", encoding="utf-8")
            except OSError as exc:  # at start-up a wrong path is a mistake to fix, not a fault to ride out
                raise UserError(f"cannot write the events file {path}: {exc.strerror or exc}") from None
            self._owned, self.name = True, str(path)
        self.failed = 0  # lines not written

    def write(self, line: dict[str, Any]) -> bool:
        try:
            self._fh.write(json.dumps(line, default=str) + "\n")
            self._fh.flush()
            return True
        except (OSError, ValueError) as exc:  # ValueError: the file was closed under us
            self.failed += 1
            if self.failed == 1:
                log.error(
                    "cannot write the events file %s (%s); monitoring, in-cab alerts and the uplink go on",
                    self.name,
                    getattr(exc, "strerror", None) or exc,
                )
            return False

    def close(self) -> None:
        if not self._owned:
            return
        try:
            self._fh.close()
        except OSError:  # the unwritten tail was reported (and counted) when it failed
            pass
