"""In-cab alert audio: every event audible in the WAV within 0.1 s of its t, levels escalate,
no clicks, spoken prompts with espeak-ng, live output through a real player subprocess."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

from edge.audio import AlertAudio, AudioSettings, LiveSink, WavTimelineSink
from edge.audio.analysis import onset_after, rms_envelope
from edge.audio.prompts import read_wav
from edge.audio.sinks import AudioSink
from edge.policy import DriverMonitor, PolicyEvent
from edge.policy.synthetic import frames

SR = 16000
WINDOW = 0.01  # RMS window, seconds


def _settings(tmp_path, **kw) -> AudioSettings:
    return AudioSettings(sample_rate=SR, cache_dir=tmp_path / "prompts", **kw)


def _drive_to_wav(tmp_path, behaviour, name="alerts.wav", **kw):
    """Policy + audio over a synthetic drive, the way the runtime wires them."""
    path = tmp_path / name
    audio = AlertAudio(_settings(tmp_path, **kw), WavTimelineSink(path, SR))
    monitor, events = DriverMonitor(session_id="a"), []
    for sig in frames(behaviour):
        for ev in monitor.update(sig, 60.0):
            events.append(ev)
            audio.on_event(ev)
        audio.advance(sig.t)
    audio.close()
    data, sr = read_wav(path)
    assert sr == SR
    return data, events, audio


def _rms(data: np.ndarray) -> np.ndarray:
    return rms_envelope(data, SR, WINDOW)


def test_every_warning_is_audible_within_100_ms_of_its_decision(tmp_path):
    behaviour = [
        (3, "ahead"),
        (1.5, "closed"),
        (4, "ahead"),
        (5, "away"),
        (3, "ahead"),
        (12, "no_face"),
        (3, "ahead"),
        (7, "closed"),
        (3, "ahead"),
    ]
    data, events, audio = _drive_to_wav(tmp_path, behaviour)
    warnings = [e for e in events if e.phase != "end" and e.level >= 1]
    assert {e.type for e in warnings} >= {
        "microsleep",
        "long_distraction",
        "not_monitoring",
        "sleep",
        "unresponsive",
    }
    rms = _rms(data)
    for ev in warnings:
        onset = onset_after(rms, ev.t)
        assert onset is not None and onset - ev.t <= 0.1, (ev.type, ev.phase, ev.t, onset)
    # the WAV covers the whole clip timeline and is silent when nothing is open
    assert len(data) / SR == pytest.approx(sum(s for s, _ in behaviour), abs=0.1)
    assert rms[: int(3.9 / WINDOW)].max() < 1e-3
    stats = audio.stats()
    assert stats["timeline_offset"]["max_ms"] == 0.0
    assert stats["decision_to_first_sample"]["n"] == len(warnings)


def test_levels_escalate_in_loudness(tmp_path):
    audio_path = tmp_path / "levels.wav"
    audio = AlertAudio(_settings(tmp_path, speech=False), WavTimelineSink(audio_path, SR))
    plan = [
        ("long_distraction", "start", 1, 1.0),
        ("long_distraction", "end", 1, 3.0),
        ("microsleep", "start", 2, 4.0),
        ("microsleep", "end", 2, 6.0),
        ("sleep", "start", 3, 7.0),
        ("sleep", "end", 3, 9.0),
    ]
    for kind, phase, level, t in plan:
        audio.advance(t)
        audio.on_event(PolicyEvent(kind, phase, level, t, t, "e", {}))
    audio.advance(10.0)
    audio.close()
    data, _ = read_wav(audio_path)

    def loudness(t0, t1):
        return float(np.sqrt((data[int(t0 * SR) : int(t1 * SR)] ** 2).mean()))

    level1, level2, level3 = loudness(1, 2.5), loudness(4, 5.8), loudness(7, 8.8)
    assert 0.02 < level1 < level2 < level3
    peak1, peak2 = np.abs(data[SR : int(2.5 * SR)]).max(), np.abs(data[4 * SR : 6 * SR]).max()
    assert peak2 > peak1  # "louder repeated tone"
    beeps = _rms(data[4 * SR : 6 * SR]) > 0.05  # level 2 repeats: several separate beeps
    assert np.count_nonzero(np.diff(beeps.astype(int)) == 1) >= 3
    assert loudness(9.1, 10) < 1e-3  # every sound stopped after its episode ended


def test_no_clicks_at_starts_stops_and_level_changes(tmp_path):
    data, events, _ = _drive_to_wav(
        tmp_path, [(2, "ahead"), (5, "away"), (0.4, "ahead"), (7, "closed"), (3, "ahead")], speech=False
    )
    assert {e.phase for e in events} == {"start", "escalate", "end"}
    # A hard cut shows as a large second difference; the loudest pure tone here (1 kHz at 0.6)
    # has at most 0.6 * (2 pi 1000 / 16000)^2 = 0.09.
    assert np.abs(np.diff(data, 2)).max() < 0.15


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
def test_spoken_prompt_is_rendered_once_and_heard_at_level_three(tmp_path):
    with_speech, events, audio = _drive_to_wav(tmp_path, [(2, "ahead"), (5, "closed"), (3, "ahead")])
    rendered = len(list((tmp_path / "prompts").glob("*.wav")))
    assert audio.stats()["speech"] and rendered == len(_settings(tmp_path).prompts)  # each prompt once
    tones_only, _, _ = _drive_to_wav(
        tmp_path, [(2, "ahead"), (5, "closed"), (3, "ahead")], name="tones.wav", speech=False
    )
    sleep_t = next(e.t for e in events if e.type == "sleep")
    a, b = int(sleep_t * SR), int((sleep_t + 1.5) * SR)
    # the prompt is mixed over the (ducked) tone: louder peaks and a different waveform
    assert np.sqrt(((with_speech[a:b] - tones_only[a:b]) ** 2).mean()) > 0.05
    assert np.abs(with_speech[a:b]).max() > np.abs(tones_only[a:b]).max()


def test_without_speech_the_level_three_tone_still_sounds(tmp_path):
    data, events, audio = _drive_to_wav(tmp_path, [(2, "ahead"), (5, "closed"), (3, "ahead")], speech=False)
    assert not audio.stats()["speech"]
    sleep_t = next(e.t for e in events if e.type == "sleep")
    assert onset_after(_rms(data), sleep_t) is not None


def test_live_sink_streams_through_a_player_process_and_measures_latency(tmp_path):
    out = tmp_path / "live.raw"
    player = [
        sys.executable,
        "-c",
        f"import sys, shutil; shutil.copyfileobj(sys.stdin.buffer, open({str(out)!r}, 'wb'))",
    ]
    sink = LiveSink(SR, command=player, lookahead_s=0.05)
    audio = AlertAudio(_settings(tmp_path, speech=False), sink)
    monitor = DriverMonitor(session_id="l")
    n_warnings = 0
    for sig in frames([(1, "ahead"), (2, "closed"), (1, "ahead")]):
        for ev in monitor.update(sig, 60.0):
            audio.on_event(ev)
            n_warnings += ev.phase != "end"
        audio.advance(sig.t)
    audio.close()
    assert sink.error is None
    pcm = np.frombuffer(out.read_bytes(), dtype="<i2")
    assert len(pcm) / SR == pytest.approx(4.0, abs=0.1)
    assert np.abs(pcm[int(2.0 * SR) : int(2.1 * SR)]).max() > 1000  # microsleep at 2 s is in the stream
    stats = audio.stats()["decision_to_first_sample"]
    assert stats["n"] == n_warnings == 1 and stats["max_ms"] >= 0


def test_unwritable_wav_is_a_user_error(tmp_path):
    from dms.errors import UserError

    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="cannot write audio file"):
        WavTimelineSink(tmp_path / "file" / "a.wav")


def test_sounds_are_rendered_at_the_sinks_sample_rate(tmp_path):
    path = tmp_path / "22k.wav"
    audio = AlertAudio(_settings(tmp_path, speech=False), WavTimelineSink(path, 22050))
    audio.on_event(PolicyEvent("microsleep", "start", 2, 1.0, 0.0, "e", {}))
    audio.advance(2.0)
    audio.close()
    data, sr = read_wav(path)
    assert sr == 22050 and len(data) / sr == pytest.approx(2.0, abs=0.02)
    assert onset_after(rms_envelope(data, sr), 1.0) == pytest.approx(1.0, abs=0.011)


class _RecordingSink(AudioSink):
    """Keeps every sound placed on the timeline: (sample index, samples)."""

    def __init__(self):
        super().__init__(SR)
        self.sounds: list[tuple[int, np.ndarray]] = []

    def play(self, idx, samples, decided_at=None, t=None):
        self.sounds.append((idx, samples))

    def advance(self, idx):
        pass

    def close(self):
        pass


@pytest.mark.parametrize("advice", [None, "take_a_break"])
def test_the_take_a_break_advice_is_spoken_after_the_warnings_own_prompt(tmp_path, advice):
    sink = _RecordingSink()
    audio = AlertAudio(_settings(tmp_path, speech=False), sink)
    warning, take_a_break = np.full(SR, 0.1, np.float32), np.full(SR // 2, 0.2, np.float32)
    audio.prompts = {"sleep": warning, "take_a_break": take_a_break}
    details = {} if advice is None else {"advice": advice, "level3_warnings": 3}
    audio.on_event(PolicyEvent("sleep", "start", 3, 1.0, 0.0, "e", details))
    audio.advance(4.0)
    spoken = {id(samples): idx for idx, samples in sink.sounds}
    assert spoken[id(warning)] == SR
    if advice is None:
        assert id(take_a_break) not in spoken
    else:
        assert spoken[id(take_a_break)] >= SR + len(warning)  # words never overlap


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
def test_a_chinese_device_speaks_its_prompts_in_mandarin(tmp_path):
    from edge.audio.prompts import render_prompt

    zh = _settings(tmp_path, language="zh-CN")
    assert zh.voice == "cmn" and zh.prompts["sleep"] == "醒醒！请马上停车休息。"
    spoken = {kind: render_prompt(text, zh) for kind, text in zh.prompts.items()}
    assert all(p is not None and 0.8 < len(p) / SR < 8 for p in spoken.values())  # real speech, seconds
    english = render_prompt(_settings(tmp_path).prompts["sleep"], _settings(tmp_path))
    assert english is not None and not np.array_equal(
        english[: len(spoken["sleep"])], spoken["sleep"][: len(english)]
    )
    assert (
        len(list((tmp_path / "prompts").glob("*.wav"))) == 6
    )  # five Chinese (with phone use), one English, each once


def test_the_device_language_is_checked():
    with pytest.raises(ValueError):
        AudioSettings(language="fr")
    assert AudioSettings(language="zh-CN", messages={"sleep": "停车！"}).prompts["sleep"] == "停车！"
