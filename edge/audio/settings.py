"""How the in-cab alerts sound: levels, tones, spoken prompts and the live output device."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from dms.settings import Settings


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dms" / "prompts"


# The spoken prompts per device language (event type -> text), said when that event reaches level 3.
PROMPTS: dict[str, dict[str, str]] = {
    "en": {
        "sleep": "Wake up! Please stop and take a break.",
        "unresponsive": "Take control of the vehicle now!",
        "not_monitoring": "The driver monitor cannot see you. Please check the camera.",
        "phone_use": "Put the phone away and keep your eyes on the road.",
        "take_a_break": "You have been warned several times. Please take a break.",
    },
    "zh-CN": {
        "sleep": "醒醒！请马上停车休息。",
        "unresponsive": "请立即接管车辆！",
        "not_monitoring": "驾驶员监测系统看不到您，请检查摄像头。",
        "phone_use": "请放下手机，注意前方道路。",
        "take_a_break": "您已多次收到警告，请停车休息。",
    },
}
# espeak-ng's voice for each language: "cmn" is its Mandarin voice (espeak-ng-data ships it).
VOICES = {"en": "en", "zh-CN": "cmn"}


class AudioSettings(Settings):
    """In-cab alert sounds (level 1 chime, 2 repeated louder beep, 3 continuous tone + spoken prompt)."""

    sample_rate: int = Field(16000, ge=8000, le=48000)
    """Samples per second of everything rendered (WAV file and live device)."""
    chime_gain: float = Field(0.35, gt=0, le=1)
    """Peak amplitude of the level-1 chime (full scale = 1)."""
    chime_hz: tuple[float, float] = (1319.0, 1047.0)
    """The two notes of the 'ding-dong' chime, Hz."""
    beep_gain: float = Field(0.6, gt=0, le=1)
    """Peak amplitude of the level-2 beeps: louder than the chime."""
    beep_hz: float = Field(1000.0, ge=100, le=4000)
    """Pitch of the level-2 beep, Hz."""
    beep_s: float = Field(0.25, gt=0, le=2)
    """Length of one level-2 beep."""
    beep_period_s: float = Field(0.6, gt=0, le=5)
    """A level-2 beep starts every this many seconds while the episode is open."""
    tone_gain: float = Field(0.5, gt=0, le=1)
    """Peak amplitude of the level-3 continuous two-tone."""
    tone_hz: tuple[float, float] = (880.0, 660.0)
    """The two alternating pitches of the level-3 tone, Hz."""
    tone_segment_s: float = Field(0.5, gt=0, le=5)
    """Time on each pitch of the level-3 tone (whole cycles per segment, so the loop has no click)."""
    fade_s: float = Field(0.01, ge=0.001, le=0.2)
    """Attack / release ramp of every sound: no clicks at starts, stops and level changes."""
    speech: bool = True
    """Speak the level-3 prompts with espeak-ng when it is installed (tones only otherwise)."""
    speech_gain: float = Field(0.8, gt=0, le=1)
    """Peak amplitude of spoken prompts."""
    speech_duck_gain: float = Field(0.3, ge=0, le=1)
    """The level-3 tone drops to this share while a prompt is spoken, so the words stay clear."""
    language: Literal["en", "zh-CN"] = "en"
    """Language of the spoken prompts in the cab (the device's language): picks the prompt texts
    (`PROMPTS`) and the espeak-ng voice (`VOICES`: en, cmn) unless `messages` / `espeak_voice` say otherwise."""
    espeak_voice: str | None = Field(None, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_+-]+$")
    """espeak-ng voice of the prompts; None: the language's voice (en -> "en", zh-CN -> "cmn")."""
    espeak_wpm: int = Field(160, ge=80, le=400)
    """Speaking rate of the prompts, words per minute."""
    messages: dict[str, str] = {}
    """Spoken prompt per event type, said when that event reaches level 3, over the language's own
    (`PROMPTS[language]`); 'take_a_break' is said after it when the event carries that advice (repeated
    level-3 warnings in one drive)."""
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    """Where rendered prompt WAVs are kept (rendered once, at start-up, never during a drive)."""
    live_command: list[str] | None = None
    """Raw-PCM player for LiveSink reading signed 16-bit mono from stdin, e.g.
    ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", "16000"]; None picks `sounddevice`
    when importable, else aplay."""
    live_lookahead_s: float = Field(0.05, ge=0, le=1)
    """LiveSink writes this far ahead of the frame time, so the device never starves between frames."""

    @property
    def voice(self) -> str:
        """The espeak-ng voice the prompts are rendered with."""
        return self.espeak_voice or VOICES[self.language]

    @property
    def prompts(self) -> dict[str, str]:
        """The prompt texts in effect: the language's, with `messages` over them."""
        return {**PROMPTS[self.language], **self.messages}

    @model_validator(mode="after")
    def _loud_enough_to_escalate(self) -> AudioSettings:
        if not self.chime_gain <= self.beep_gain:
            raise ValueError("beep_gain (level 2) must be at least chime_gain (level 1)")
        if self.beep_s >= self.beep_period_s:
            raise ValueError("beep_s must be shorter than beep_period_s")
        return self
