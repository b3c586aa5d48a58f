"""In-cab visual warning beside the audio: a lamp (GPIO LED) driven by the same policy episodes."""

from edge.visual.settings import VisualSettings
from edge.visual.sinks import GpioLedSink, RecordingVisualSink, VisualSink
from edge.visual.warning import VisualWarning, build_visual_warning

__all__ = [
    "GpioLedSink",
    "RecordingVisualSink",
    "VisualSettings",
    "VisualSink",
    "VisualWarning",
    "build_visual_warning",
]
