"""Turns policy events into in-cab sound: level 1 chime, level 2 repeated louder beep, level 3
continuous two-tone with a spoken prompt. Everything is placed on the source timeline by the event's
`t`, so a replayed clip gets its alerts at the exact frame that decided them.

The loudest open episode decides the continuous sound; a chime plays once per start (no nagging).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from edge.audio.prompts import render_prompt
from edge.audio.settings import AudioSettings
from edge.audio.sinks import AudioSink
from edge.audio.synth import beep_loop, chime, two_tone_loop
from edge.policy.events import END, PolicyEvent


@dataclass
class _Loop:
    """A looping sound started at `start` (sample index), optionally released from `stop`."""

    wave: np.ndarray
    start: int
    fade: int
    stop: int | None = None

    def render(self, i0: int, i1: int) -> np.ndarray:
        idx = np.arange(i0, i1)
        out = self.wave[(idx - self.start) % len(self.wave)].copy()
        gain = np.clip((idx - self.start) / self.fade, 0.0, 1.0)  # attack
        if self.stop is not None:
            gain = np.minimum(gain, np.clip((self.stop + self.fade - idx) / self.fade, 0.0, 1.0))  # release
        return out * gain.astype(np.float32)

    def done(self, i: int) -> bool:
        return self.stop is not None and i >= self.stop + self.fade


class AlertAudio:
    """Renders the escalation sounds of policy events into an `AudioSink` (never blocks the frame loop:
    synthesis and prompts are prepared here, at start-up; live output runs on the sink's thread)."""

    def __init__(
        self, settings: AudioSettings | None = None, sink: AudioSink | None = None, clock=time.perf_counter
    ):
        self.s = settings or AudioSettings()
        if sink is not None and sink.sample_rate != self.s.sample_rate:  # the output's rate wins
            self.s = self.s.model_copy(update={"sample_rate": sink.sample_rate})
        self.sink = sink
        self.clock = clock
        self.sr = self.s.sample_rate
        self._fade = max(1, int(self.s.fade_s * self.sr))
        self._ahead = int(round((sink.lookahead_s if sink is not None else 0.0) * self.sr))
        self._chime = chime(self.s)
        self._loops = {2: beep_loop(self.s), 3: two_tone_loop(self.s)}
        self.prompts = {kind: render_prompt(text, self.s) for kind, text in self.s.prompts.items()}
        self._open: dict[str, int] = {}  # episode type -> level
        self._playing: list[_Loop] = []
        self._level = 0  # level of the continuous sound now playing
        self._ducks: list[tuple[int, int]] = []  # spoken-prompt spans: the tone steps back there
        self._rendered = 0  # continuous sound is rendered up to this sample
        self.events_heard: list[dict] = []

    def on_event(self, event: PolicyEvent) -> None:
        """React to one policy event (call in time order, before `advance` to the same frame time)."""
        decided_at = self.clock()
        idx = max(self._idx(event.t), self._rendered)
        self._render_until(idx)
        if event.phase == END:
            self._open.pop(event.type, None)
        elif event.level >= 1:
            self._open[event.type] = event.level
        else:
            return  # level 0: recorded only, silent
        sounded = False
        if event.phase != END:
            if event.level == 1:
                self._emit(idx, self._chime, decided_at, event.t)
                sounded = True
            if event.level >= 3:  # the warning's prompt, then any advice the event carries (take a break)
                for key in (event.type, event.details.get("advice")):
                    self._speak(idx, self.prompts.get(key) if key else None)
        top = max(self._open.values(), default=0)
        restart = event.phase != END and event.level >= 2  # every warning is heard at once
        if top != self._level or restart:
            self._switch(idx, top if top >= 2 else 0, None if sounded else decided_at, event.t)
        if event.phase != END:
            self.events_heard.append(
                {"type": event.type, "phase": event.phase, "level": event.level, "t": event.t}
            )
        self._commit(idx)

    def advance(self, t: float) -> None:
        """Continuous tones keep playing up to `t` on the timeline; earlier samples are final."""
        self._commit(self._idx(t))

    def _commit(self, idx: int) -> None:
        self._render_until(idx + self._ahead)
        if self.sink is not None:
            self.sink.advance(self._rendered)

    def close(self) -> None:
        for loop in self._playing:
            if loop.stop is None:
                loop.stop = self._rendered
        self._render_until(self._rendered + self._fade)
        if self.sink is not None:
            self.sink.close()

    def stats(self) -> dict:
        """Decision -> first sample written (wall ms) and timeline offset of each alert sound."""
        base = self.sink.stats() if self.sink is not None else {}
        return {
            **base,
            "alerts": len(self.events_heard),
            "speech": any(p is not None for p in self.prompts.values()),
        }

    # ------------------------------------------------------------------------------------------
    def _idx(self, t: float) -> int:
        return int(round(t * self.sr))

    def _emit(self, idx: int, samples: np.ndarray, decided_at: float | None, t: float | None) -> None:
        if self.sink is not None:
            self.sink.play(idx, samples, decided_at, t)

    def _speak(self, idx: int, prompt: np.ndarray | None) -> None:
        """A spoken prompt, after any prompt still being spoken: words never overlap."""
        if prompt is None:
            return
        at = max([idx] + [b + int(0.2 * self.sr) for _, b in self._ducks])
        self._ducks.append((at, at + len(prompt)))
        self._emit(at, prompt, None, None)

    def _switch(self, idx: int, level: int, decided_at: float | None, t: float) -> None:
        for loop in self._playing:
            if loop.stop is None:
                loop.stop = idx  # released over `fade` while the next one attacks: a crossfade
        self._level = level
        if level >= 2:
            self._playing.append(_Loop(self._loops[level], idx, self._fade))
            if decided_at is not None:  # its first sample is rendered right here
                self._render_until(idx + self._fade, decided_at, t)

    def _render_until(self, idx: int, decided_at: float | None = None, t: float | None = None) -> None:
        if idx <= self._rendered or not self._playing:
            self._rendered = max(self._rendered, idx)
            return
        i0 = self._rendered
        out = np.zeros(idx - i0, dtype=np.float32)
        for loop in self._playing:
            out += loop.render(i0, idx)
        out *= self._duck_gain(i0, idx)
        self._emit(i0, out, decided_at, t)
        self._playing = [loop for loop in self._playing if not loop.done(idx)]
        self._ducks = [d for d in self._ducks if d[1] + self._fade > idx]
        self._rendered = idx

    def _duck_gain(self, i0: int, i1: int) -> np.ndarray:
        gain = np.ones(i1 - i0, dtype=np.float32)
        idx = np.arange(i0, i1)
        low = self.s.speech_duck_gain
        for a, b in self._ducks:
            # 1 outside [a, b], `low` inside, linear ramps of `fade` at both ends
            inside = np.clip(np.minimum(idx - a + self._fade, b + self._fade - idx) / self._fade, 0.0, 1.0)
            gain = np.minimum(gain, (1 - inside * (1 - low)).astype(np.float32))
        return gain
