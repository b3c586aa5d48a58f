"""Measuring alert audio in a rendered WAV: short-window RMS and the onset of sound after a time."""

from __future__ import annotations

import numpy as np

WINDOW_S = 0.01
AUDIBLE_RMS = 0.02
"""-34 dBFS over 10 ms: well above dither/noise, well below the quietest alert (the chime)."""


def rms_envelope(samples: np.ndarray, sample_rate: int, window_s: float = WINDOW_S) -> np.ndarray:
    """RMS of consecutive `window_s` windows (the last partial window is dropped)."""
    n = max(1, int(window_s * sample_rate))
    frames = samples[: len(samples) // n * n].reshape(-1, n)
    return np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))


def onset_after(
    envelope: np.ndarray, t: float, window_s: float = WINDOW_S, threshold: float = AUDIBLE_RMS
) -> float | None:
    """Start time of the first window at or after `t` that is audible; None if nothing follows."""
    i0 = max(0, int(t / window_s))
    loud = np.flatnonzero(envelope[i0:] > threshold)
    return None if len(loud) == 0 else (i0 + int(loud[0])) * window_s
