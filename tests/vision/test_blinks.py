"""Blink events from synthetic closure sequences: start, end, duration, ids, long closures, gaps."""

from __future__ import annotations

import pytest

from edge.vision.blinks import BlinkDetector, BlinkSettings

FPS = 30.0
BLINK = [0.1, 0.4, 0.8, 1.0, 1.0, 0.9, 0.5, 0.2]  # one lid movement, 5 frames above the 0.3 onset


def feed(det: BlinkDetector, closures: list[float | None]):
    ids, events = [], []
    for i, c in enumerate(closures):
        u = det.update(i / FPS, i, c)
        ids.append(u.blink_id)
        if u.ended:
            events.append(u.ended)
    last = det.finish()
    if last:
        events.append(last)
    return ids, events


def test_one_blink_has_start_end_and_duration():
    ids, events = feed(BlinkDetector(), [0.0] * 10 + BLINK + [0.0] * 10)
    assert len(events) == 1
    e = events[0]
    assert (e.blink_id, e.start_frame, e.end_frame) == (1, 11, 16)
    assert e.duration_s == pytest.approx(5 / FPS)
    # frames carry the id from the frame it was confirmed on (peak reached) to its end
    assert ids[12:17] == [1] * 5 and ids[11] == -1 and ids[17] == -1


def test_blinks_get_consecutive_ids_and_are_reported_after_they_end():
    _ids, events = feed(BlinkDetector(), ([0.0] * 10 + BLINK) * 3 + [0.0] * 5)
    assert [e.blink_id for e in events] == [1, 2, 3]
    assert len({e.start_frame for e in events}) == 3


def test_shallow_movement_is_not_a_blink():
    _, events = feed(BlinkDetector(), [0.0] * 5 + [0.2, 0.35, 0.45, 0.35, 0.1] + [0.0] * 5)
    assert events == []


def test_long_closure_is_one_event_with_its_duration():
    closures = [0.0] * 30 + [1.0] * 45 + [0.0] * 30  # 1.5 s closed: a microsleep
    ids, events = feed(BlinkDetector(), closures)
    assert len(events) == 1 and events[0].duration_s == pytest.approx(44 / FPS)
    assert all(i == 1 for i in ids[30:75])


def test_closure_still_going_at_end_of_stream_is_reported_by_finish():
    det = BlinkDetector()
    _, events = feed(det, [0.0] * 5 + [1.0] * 20)
    assert len(events) == 1 and events[0].end_frame == 24


def test_short_gap_is_bridged_long_gap_ends_the_blink():
    det = BlinkDetector(BlinkSettings(max_gap_s=0.1))
    _, events = feed(det, [0.0] * 5 + [1.0, 1.0, None, 1.0, 1.0] + [0.0] * 5)
    assert len(events) == 1 and (events[0].start_frame, events[0].end_frame) == (5, 9)
    _, events = feed(
        BlinkDetector(BlinkSettings(max_gap_s=0.1)), [0.0] * 5 + [1.0, 1.0] + [None] * 6 + [0.0] * 5
    )
    assert len(events) == 1 and events[0].end_frame == 6
