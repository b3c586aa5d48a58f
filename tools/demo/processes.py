"""Child processes of the demo: started with their own log file, watched, stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from dms.errors import UserError


@dataclass
class Child:
    name: str
    args: list[str]
    log_path: Path
    proc: subprocess.Popen | None = None
    restarts: int = 0
    _log: object = field(default=None, repr=False)

    def start(self, env: dict[str, str] | None = None) -> Child:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.args,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 8) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self._log:
            self._log.close()
            self._log = None


def dms_command(*args: str) -> list[str]:
    """Run a `dms` subcommand with this very interpreter (no PATH lookup)."""
    return [sys.executable, "-m", "tools.cli", *args]


def run_dms(*args: str, stdin: str | None = None, timeout: float = 120) -> str:
    """Run a one-shot `dms` subcommand; a failure becomes a UserError with its message."""
    out = subprocess.run(dms_command(*args), input=stdin, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        message = (out.stderr.strip() or out.stdout.strip()).splitlines()
        raise UserError(f"'dms {' '.join(args[:2])}' failed: {message[-1] if message else out.returncode}")
    return out.stdout


def wait_until(check, timeout: float, interval: float = 0.25, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise UserError(f"timed out after {timeout:.0f} s waiting for {what}")
