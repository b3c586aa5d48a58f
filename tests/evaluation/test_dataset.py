"""Reading a labelled clip set: the frame-alignment trap and clear errors for bad input."""

from __future__ import annotations

import pytest

from dms.errors import UserError
from edge.evaluation.dataset import load_dataset
from edge.evaluation.runner import decoded_pictures, picture_count


@pytest.mark.dataset
def test_dev_set_is_read_through_decoded_index(zju_dataset):
    clips = load_dataset(zju_dataset)
    assert len(clips) == 40
    assert sum(len(c.blinks) for c in clips) == 149
    assert sum(f.eye_closed for c in clips for f in c.frames if f.annotated) == 721
    clip = next(c for c in clips if c.video.endswith("000002M_FBN.avi"))
    assert clip.subject == "000002" and clip.condition == "FBN"
    by_id = {f.frame_id: f for f in clip.frames}
    # frame 9 is a repeat packet: it shows the same picture as frame 8, and later frames shift
    assert by_id[9].decoded_index == by_id[8].decoded_index == 7
    times = clip.picture_times()
    assert times[7] == pytest.approx(8 / 30)
    assert sum(1 for _ in decoded_pictures(clip.path)) == picture_count(clip)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_folder(tmp_path):
    with pytest.raises(UserError, match="dataset folder not found"):
        load_dataset(tmp_path / "nope")


def test_folder_without_labels(tmp_path):
    with pytest.raises(UserError, match="not a labelled clip set"):
        load_dataset(tmp_path)


def test_labels_without_required_columns(tmp_path):
    write(tmp_path / "labels.csv", "video,frame_id\nclips/a.avi,1\n")
    with pytest.raises(UserError, match="missing columns: decoded_index"):
        load_dataset(tmp_path)


def test_listed_video_missing(tmp_path):
    write(
        tmp_path / "labels.csv",
        "video,frame_id,decoded_index,annotated,blink_id,eye_closed_any\nclips/a.avi,1,0,1,-1,0\n",
    )
    with pytest.raises(UserError, match="video listed in labels.csv is missing: clips/a.avi"):
        load_dataset(tmp_path)
