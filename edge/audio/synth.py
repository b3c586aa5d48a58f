"""Alert sounds synthesised with NumPy: float32 mono in [-1, 1], every edge ramped (no clicks)."""

from __future__ import annotations

import numpy as np

from edge.audio.settings import AudioSettings


def ramp(samples: np.ndarray, fade: int) -> np.ndarray:
    """Linear attack and release of `fade` samples on both ends (in place, returned)."""
    n = min(fade, len(samples) // 2)
    if n > 0:
        r = np.linspace(0.0, 1.0, n, endpoint=False, dtype=np.float32)
        samples[:n] *= r
        samples[-n:] *= r[::-1]
    return samples


def tone(hz: float, seconds: float, sr: int, gain: float = 1.0) -> np.ndarray:
    n = int(round(seconds * sr))
    return (gain * np.sin(2 * np.pi * hz * np.arange(n) / sr)).astype(np.float32)


def chime(s: AudioSettings) -> np.ndarray:
    """Level 1: a soft two-note 'ding-dong' with bell-like exponential decay (~0.6 s)."""
    sr, fade = s.sample_rate, int(s.fade_s * s.sample_rate)
    out = np.zeros(int(0.62 * sr), dtype=np.float32)
    for k, hz in enumerate(s.chime_hz):
        note = tone(hz, 0.42, sr, s.chime_gain)
        note *= np.exp(-np.arange(len(note)) / (0.14 * sr)).astype(np.float32)
        start = int(k * 0.2 * sr)
        out[start : start + len(note)] += ramp(note, fade)
    return out


def beep_loop(s: AudioSettings) -> np.ndarray:
    """Level 2: one period of the repeated beep (beep then silence)."""
    sr = s.sample_rate
    period = np.zeros(int(round(s.beep_period_s * sr)), dtype=np.float32)
    beep = ramp(tone(s.beep_hz, s.beep_s, sr, s.beep_gain), int(s.fade_s * sr))
    period[: len(beep)] = beep
    return period


def two_tone_loop(s: AudioSettings) -> np.ndarray:
    """Level 3: one period of the continuous two-tone. Each pitch runs whole cycles, so the segments
    meet at phase zero and the loop repeats without a click."""
    sr, parts = s.sample_rate, []
    for hz in s.tone_hz:
        cycles = max(1, round(hz * s.tone_segment_s))
        n = int(round(cycles * sr / hz))
        parts.append((s.tone_gain * np.sin(2 * np.pi * cycles * np.arange(n) / n)).astype(np.float32))
    return np.concatenate(parts)


def resample(samples: np.ndarray, from_sr: int, to_sr: int) -> np.ndarray:
    """Linear-interpolation resampling (good enough for speech prompts)."""
    if from_sr == to_sr or len(samples) == 0:
        return samples.astype(np.float32)
    n = int(round(len(samples) * to_sr / from_sr))
    x = np.linspace(0, len(samples) - 1, n)
    return np.interp(x, np.arange(len(samples)), samples).astype(np.float32)


def to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
