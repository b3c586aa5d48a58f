"""In-cab alert audio: synthesised escalation sounds and spoken prompts, to a WAV or a live device."""

from edge.audio.alert import AlertAudio
from edge.audio.settings import AudioSettings
from edge.audio.sinks import AudioSink, LiveSink, WavTimelineSink

__all__ = ["AlertAudio", "AudioSettings", "AudioSink", "LiveSink", "WavTimelineSink"]
