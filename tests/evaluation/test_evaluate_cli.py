"""`dms evaluate`: end to end on two dev clips (checked against the shared scoring script), and errors."""

from __future__ import annotations

import csv
import itertools
import json
import sys

import pytest

from tools.cli import main


def two_clip_set(source, target, names=("clips/2/000001M_FNN.avi", "clips/27/000007M_UNN.avi")):
    """A labelled set of two dev clips: filtered CSVs, videos linked in place (never copied)."""
    target.mkdir()
    for name in ("labels.csv", "blinks.csv", "splits.csv"):
        with (source / name).open(newline="") as src, (target / name).open("w", newline="") as dst:
            reader = csv.DictReader(src)
            w = csv.DictWriter(dst, reader.fieldnames)
            w.writeheader()
            w.writerows(r for r in reader if r["video"] in names)
    for name in names:
        (target / name).parent.mkdir(parents=True)
        (target / name).symlink_to(source / name)
    return target


@pytest.mark.slow
@pytest.mark.dataset
def test_two_clips_end_to_end_agree_with_score_blinks(zju_dataset, score_blinks, tmp_path, capsys):
    data = two_clip_set(zju_dataset, tmp_path / "set")
    out = tmp_path / "out"
    assert main(["evaluate", str(data), "--out", str(out)]) == 0
    assert "blink F1" in capsys.readouterr().out
    with (out / "predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    with (data / "labels.csv").open() as fh:
        labels = list(csv.DictReader(fh))
    assert [(r["video"], r["frame_id"]) for r in rows] == [(r["video"], r["frame_id"]) for r in labels]
    assert list(rows[0]) == ["video", "frame_id", "eyes_closed", "blink"]

    expected = score_blinks.score(str(data), str(out / "predictions.csv"))
    report = json.loads((out / "report.json").read_text())
    assert {k: report["overall"][k] for k in expected} == expected
    assert set(report["clips"]) == {"clips/2/000001M_FNN.avi", "clips/27/000007M_UNN.avi"}
    assert report["frames_processed"] == 136 + 90 and report["cpu_ms_per_frame"] > 0
    # the two clips hold 8 labelled blinks; one of them is two labelled blinks inside one closure
    assert report["overall"]["blink_tp"] >= 6 and report["overall"]["closed_f1"] > 0.6
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 2 and "000007M_UNN" in page


@pytest.mark.dataset
def test_single_video_writes_signals(zju_dataset, tmp_path):
    out = tmp_path / "out"
    assert main(["evaluate", str(zju_dataset / "clips/2/000001M_FNN.avi"), "--out", str(out)]) == 0
    with (out / "signals.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 136
    assert {
        "t",
        "frame_index",
        "face_found",
        "eyes_closed",
        "closure",
        "blink_id",
        "gaze_zone",
        "blink_ended_duration_s",
        "ms_total",
    } <= set(rows[0])
    assert all(r["face_found"] == "1" for r in rows)
    assert sum(r["blink_ended_id"] != "" for r in rows) >= 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["/no/such/dir"], "dataset folder not found: /no/such/dir"),
        (["{tmp}"], "not a labelled clip set"),
        (["{tmp}/notes.txt"], "not a video file"),
        ([], "give a labelled clip set or a video file"),
        (["--scenarios", "/no/such/dir"], "scenario folder not found"),
    ],
)
def test_user_errors_are_one_line(tmp_path, capsys, args, message):
    (tmp_path / "notes.txt").write_text("hello")
    argv = ["evaluate", *[a.format(tmp=tmp_path) for a in args], "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_config_is_one_line(tmp_path, capsys):
    cfg = tmp_path / "vision.yaml"
    cfg.write_text("eyes:\n  closed_onn: 0.5\n")
    assert main(["evaluate", str(tmp_path), "--out", str(tmp_path / "out"), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "eyes.closed_onn: unknown key" in err and len(err.strip().splitlines()) == 1


def test_scenarios_without_the_scenario_module(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "edge.scenarios", None)  # import fails as if not installed
    assert main(["evaluate", "--scenarios", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "scenario evaluation not available" in capsys.readouterr().err


def test_unreadable_video_is_one_line(tmp_path, capsys):
    bad = tmp_path / "broken.avi"
    bad.write_bytes(b"not a video at all")
    assert main(["evaluate", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_an_empty_seat_is_fed_as_frames_without_a_face_on_the_clip_timeline():
    import numpy as np

    from edge.evaluation.runner import empty_seat

    seen = []

    class Pipeline:
        def process(self, image, t, index):
            seen.append((float(image.max()), t, index))

    end = empty_seat(Pipeline(), np.full((24, 32, 3), 200, np.uint8), 10.0, 2.0)
    assert len(seen) == 60 and end == pytest.approx(12.0)
    assert {s[0] for s in seen} == {0.0} and {s[2] for s in seen} == {-1}
    assert seen[0][1] == 10.0 and all(b[1] > a[1] for a, b in itertools.pairwise(seen))


@pytest.mark.slow
@pytest.mark.dataset
def test_clips_played_as_one_continuous_stream(zju_dataset, tmp_path, capsys):
    data = two_clip_set(zju_dataset, tmp_path / "set")
    out = tmp_path / "out"
    assert main(["evaluate", str(data), "--continuous", "--empty-seat-s", "4", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert (
        report["stream"]
        == "one continuous stream (sittings order), 4 s of empty seat where the driver changes"
    )
    assert report["frames_processed"] == 136 + 90  # the empty seat is not scored
    assert report["overall"]["blink_tp"] >= 6
    # the vehicle's session tracker saw the seat empty for its absent_s (3 s) and started a new driver
    (change,) = report["driver_changes"]
    assert change["reason"] == "seat_empty" and change["absent_s"] == pytest.approx(3.0, abs=0.05)


@pytest.mark.slow
@pytest.mark.dataset
def test_mono_feeds_the_pipeline_one_grey_channel(zju_dataset, tmp_path, capsys, monkeypatch):
    from edge.vision.pipeline import VisionPipeline

    shapes = set()
    process = VisionPipeline.process

    def recording(self, image, t, index):
        shapes.add(image.ndim)
        return process(self, image, t, index)

    monkeypatch.setattr(VisionPipeline, "process", recording)
    data = two_clip_set(zju_dataset, tmp_path / "set")
    assert main(["evaluate", str(data), "--mono", "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert shapes == {2} and report["pictures"] == "monochrome (one grey channel)"
    assert report["frames_processed"] == 136 + 90 and report["overall"]["blink_tp"] >= 6
