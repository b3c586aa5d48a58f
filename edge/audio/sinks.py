"""Where alert audio goes: a WAV on the clip's timeline, or a live device on a background thread.

Sounds are placed by sample index on the source timeline (index = round(t * sample_rate)) and mixed;
`advance(idx)` says that nothing will be placed before `idx` any more, so those samples are final and
can be written out. Each sink measures, per sound, the wall time from the policy's decision to its
first sample being written (the clock is injected, it only measures).
"""

from __future__ import annotations

import logging
import queue
import shutil
import statistics
import subprocess
import threading
import time
import wave
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dms.errors import UserError
from edge.audio.synth import to_pcm16

log = logging.getLogger(__name__)
Clock = Callable[[], float]


class Mixer:
    """A growing float32 buffer from `base` (first sample not yet written out) onwards."""

    def __init__(self) -> None:
        self.base = 0
        self._end = 0
        self._buf = np.zeros(0, dtype=np.float32)

    def mix(self, idx: int, samples: np.ndarray) -> int:
        """Add `samples` at `idx` (moved to `base` if that part is already out); returns where they went."""
        idx = max(idx, self.base)
        end = idx - self.base + len(samples)
        if end > len(self._buf):
            grown = np.zeros(max(end, 2 * len(self._buf)), dtype=np.float32)
            grown[: len(self._buf)] = self._buf
            self._buf = grown
        self._buf[idx - self.base : end] += samples
        self._end = max(self._end, idx + len(samples))
        return idx

    @property
    def end(self) -> int:
        """One past the last sample mixed so far."""
        return max(self._end, self.base)

    def take(self, upto: int) -> np.ndarray:
        """Samples [base, upto), silence where nothing was mixed; base moves to `upto`."""
        n = max(0, upto - self.base)
        out = np.zeros(n, dtype=np.float32)
        have = min(n, len(self._buf))
        out[:have] = self._buf[:have]
        self._buf = self._buf[have:].copy() if have < len(self._buf) else np.zeros(0, dtype=np.float32)
        self.base = max(self.base, upto)
        return out


class AudioSink(ABC):
    """Receives mixed alert audio on the source timeline."""

    lookahead_s: float = 0.0
    """How far ahead of the frame time sound is rendered and written (a live device must not starve)."""

    def __init__(self, sample_rate: int, clock: Clock = time.perf_counter):
        self.sample_rate = sample_rate
        self.clock = clock
        self.latencies_s: list[float] = []
        """Per sound with a decision time: decision -> first sample written, wall seconds."""
        self.offsets_s: list[float] = []
        """Per sound: where its first sample landed on the timeline minus the decision's t."""

    @abstractmethod
    def play(
        self, idx: int, samples: np.ndarray, decided_at: float | None = None, t: float | None = None
    ) -> None:
        """Mix `samples` starting at timeline sample `idx`. `decided_at` (sink clock) and `t` (decision time
        on the timeline) are given for sounds that answer an event, to measure latency."""

    @abstractmethod
    def advance(self, idx: int) -> None:
        """Nothing will be played before `idx` any more."""

    @abstractmethod
    def close(self) -> None:
        """Write out everything mixed so far and release the output."""

    def stats(self) -> dict:
        def summary(values: list[float]) -> dict:
            if not values:
                return {"n": 0, "median_ms": None, "max_ms": None}
            return {
                "n": len(values),
                "median_ms": round(1000 * statistics.median(values), 3),
                "max_ms": round(1000 * max(values), 3),
            }

        return {
            "decision_to_first_sample": summary(self.latencies_s),
            "timeline_offset": summary(self.offsets_s),
        }


class WavTimelineSink(AudioSink):
    """Writes the in-cab audio on the clip's timeline to a 16-bit mono WAV (t -> sample round(t * sr)).

    Memory stays bounded: samples before the latest `advance` are streamed to the file."""

    def __init__(self, path: str | Path, sample_rate: int = 16000, clock: Clock = time.perf_counter):
        super().__init__(sample_rate, clock)
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wav = wave.open(str(self.path), "wb")
        except OSError as exc:
            raise UserError(f"cannot write audio file {self.path}: {exc.strerror or exc}") from None
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(sample_rate)
        self._mixer = Mixer()

    def play(self, idx, samples, decided_at=None, t=None):
        at = self._mixer.mix(idx, samples)
        if decided_at is not None:  # mixed into the output stream at its place on the timeline
            self.latencies_s.append(self.clock() - decided_at)
        if t is not None:
            self.offsets_s.append(at / self.sample_rate - t)

    def advance(self, idx):
        if idx > self._mixer.base:
            self._wav.writeframes(to_pcm16(self._mixer.take(idx)))

    def close(self):
        if self._wav is not None:
            self.advance(self._mixer.end)
            self._wav.close()
            self._wav = None


class LiveSink(AudioSink):
    """Plays through PortAudio (`sounddevice`, when importable) or a raw-PCM player subprocess (aplay).

    The frame loop only puts work on a queue; a background thread mixes, writes to the device (which
    may block) and measures decision -> first sample written. AlertAudio renders `lookahead_s` ahead of
    the frame time, so the device does not starve between frames and a new alert goes out at once
    (placed at most `lookahead_s` after its decision on the timeline)."""

    def __init__(
        self,
        sample_rate: int = 16000,
        command: list[str] | None = None,
        lookahead_s: float = 0.05,
        clock: Clock = time.perf_counter,
    ):
        super().__init__(sample_rate, clock)
        self.lookahead_s = lookahead_s
        self._write, self._close_out = self._open_output(command)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._mixer = Mixer()
        self._pending: list[tuple[int, float]] = []  # (sample idx, decided_at) not yet written
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="dms-live-audio", daemon=True)
        self._thread.start()

    def _open_output(self, command):
        if command is None:
            try:
                import sounddevice

                stream = sounddevice.OutputStream(samplerate=self.sample_rate, channels=1, dtype="int16")
                stream.start()
                return (lambda b: stream.write(np.frombuffer(b, dtype="<i2"))), stream.close
            except Exception as exc:
                log.debug("sounddevice unavailable (%s); trying aplay", exc)
            if shutil.which("aplay") is None:
                raise UserError(
                    "no audio output: neither the Python module 'sounddevice' nor 'aplay' is available",
                    hint="install alsa-utils or sounddevice, or write alerts to a WAV with --audio-out",
                )
            command = ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", str(self.sample_rate)]
        try:
            proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            raise UserError(f"cannot start audio player {command[0]!r}: {exc.strerror or exc}") from None

        def close():
            try:
                proc.stdin.close()
            except OSError:
                pass
            proc.wait(timeout=10)

        return (lambda b: (proc.stdin.write(b), proc.stdin.flush())), close

    def play(self, idx, samples, decided_at=None, t=None):
        self._queue.put(("play", idx, samples, decided_at, t))

    def advance(self, idx):
        self._queue.put(("advance", idx))

    def close(self):
        self._queue.put(("close",))
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item[0] == "play":
                    _, idx, samples, decided_at, t = item
                    at = self._mixer.mix(idx, samples)
                    if t is not None:
                        self.offsets_s.append(at / self.sample_rate - t)
                    if decided_at is not None:
                        self._pending.append((at, decided_at))
                elif item[0] == "advance":
                    self._flush(item[1])
                else:
                    self._flush(self._mixer.end)
                    break
        except (OSError, ValueError) as exc:  # device gone / player died: report, keep the frame loop alive
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("live audio output failed: %s", self.error)
        finally:
            try:
                self._close_out()
            except Exception as exc:
                log.debug("closing audio output: %s", exc)

    def _flush(self, upto: int) -> None:
        if upto <= self._mixer.base:
            return
        self._write(to_pcm16(self._mixer.take(upto)))
        now = self.clock()
        written = [p for p in self._pending if p[0] < self._mixer.base]
        for p in written:
            self.latencies_s.append(now - p[1])
            self._pending.remove(p)
