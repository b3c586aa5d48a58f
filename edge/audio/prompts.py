"""Spoken prompts from espeak-ng (offline), rendered once into a cache of WAV files, in the device's
language (AudioSettings.language: English with the "en" voice, Mandarin with espeak-ng's "cmn" voice)."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from edge.audio.settings import AudioSettings
from edge.audio.synth import ramp, resample

log = logging.getLogger(__name__)


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the sample rate of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        raw, sr, ch = w.readframes(w.getnframes()), w.getframerate(), w.getnchannels()
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    return (data.reshape(-1, ch).mean(axis=1) if ch > 1 else data), sr


def render_prompt(text: str, s: AudioSettings) -> np.ndarray | None:
    """The prompt at `s.sample_rate`, peak `s.speech_gain`, leading silence trimmed; None without espeak-ng."""
    if not s.speech or not espeak_available():
        return None
    key = hashlib.sha1(f"{s.voice}|{s.espeak_wpm}|{text}".encode()).hexdigest()[:16]
    path = Path(s.cache_dir) / f"{key}.wav"
    if not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.wav")
            subprocess.run(
                ["espeak-ng", "-v", s.voice, "-s", str(s.espeak_wpm), "-w", str(tmp), text],
                check=True,
                capture_output=True,
                timeout=30,
            )
            tmp.replace(path)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("espeak-ng could not render a prompt (%s); using tones only", exc)
            return None
    data, sr = read_wav(path)
    data = resample(data, sr, s.sample_rate)
    voiced = np.flatnonzero(np.abs(data) > 0.02)
    if len(voiced) == 0:
        return None
    data = data[voiced[0] : voiced[-1] + 1].copy()
    data *= s.speech_gain / float(np.abs(data).max())
    return ramp(data, int(s.fade_s * s.sample_rate))
