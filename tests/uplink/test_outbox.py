"""The durable outbox on a real SQLite file: order, bound policy, reopen, corruption."""

import sqlite3

import pytest

from dms.errors import UserError
from edge.uplink.outbox import Outbox


def put(box, i, kind):
    return box.put(f"msg{i:06d}", kind, f"dms/v1/v1/{kind}", f'{{"i": {i}}}'.encode())


def test_rows_come_back_in_insertion_order_and_leave_after_remove(tmp_path):
    with Outbox(tmp_path / "o.sqlite") as box:
        for i, kind in enumerate(["event", "status", "state", "event", "status"]):
            put(box, i, kind)
        rows = box.after(0, 10)
        assert [r.msg_id for r in rows] == [f"msg{i:06d}" for i in range(5)]
        assert [r.kind for r in rows] == ["event", "status", "state", "event", "status"]
        assert [r.msg_id for r in box.after(rows[1].seq, 2)] == ["msg000002", "msg000003"]
        box.remove(rows[0].seq)
        assert box.count() == 4 and box.count("event") == 1


def test_same_msg_id_is_stored_once(tmp_path):
    with Outbox(tmp_path / "o.sqlite") as box:
        put(box, 1, "event")
        assert put(box, 1, "event").stored
        assert box.count() == 1


def test_messages_survive_reopening(tmp_path):
    path = tmp_path / "o.sqlite"
    with Outbox(path) as box:
        for i in range(3):
            put(box, i, "event")
    with Outbox(path) as box:
        assert [r.msg_id for r in box.after(0, 10)] == ["msg000000", "msg000001", "msg000002"]


def test_flood_of_samples_stays_in_bound_and_keeps_every_event(tmp_path):
    with Outbox(tmp_path / "o.sqlite", max_messages=50) as box:
        events = []
        for i in range(2000):
            if i % 100 == 7:
                put(box, i, "event")
                events.append(f"msg{i:06d}")
            else:
                put(box, i, "status" if i % 2 else "state")
            assert box.count() <= 50
        kept = box.after(0, 100)
        assert [r.msg_id for r in kept if r.kind == "event"] == events
        # what is dropped is the oldest samples: the newest ones remain
        samples = [int(r.msg_id[3:]) for r in kept if r.kind != "event"]
        assert samples == sorted(samples) and samples[-1] == 1999
        assert box.dropped_samples == 2000 - 50


def test_outbox_full_of_events_refuses_samples_but_stores_events(tmp_path):
    with Outbox(tmp_path / "o.sqlite", max_messages=10) as box:
        for i in range(10):
            put(box, i, "event")
        assert not put(box, 100, "status").stored
        assert put(box, 101, "event").stored
        assert box.count("event") == 11 and box.count("status") == 0


def test_corrupt_file_is_moved_aside_and_a_fresh_outbox_starts(tmp_path, caplog):
    path = tmp_path / "o.sqlite"
    path.write_bytes(b"this is not a database, it is the remains of a power cut" * 100)
    with Outbox(path) as box:
        assert box.count() == 0
        assert box.moved_aside is not None and box.moved_aside.read_bytes().startswith(b"this is not")
        put(box, 1, "event")
    assert "corrupt" in caplog.text and str(box.moved_aside) in caplog.text
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_foreign_sqlite_file_with_another_schema_is_moved_aside(tmp_path):
    path = tmp_path / "o.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE messages (x INTEGER)")
    db.commit()
    db.close()
    with Outbox(path) as box:
        assert box.moved_aside is not None
        put(box, 1, "event")
        assert box.count() == 1


def test_bound_must_be_positive(tmp_path):
    with pytest.raises(UserError):
        Outbox(tmp_path / "o.sqlite", max_messages=0)


def test_one_sending_process_per_outbox_and_a_locked_file_is_not_corrupt(tmp_path):
    path = tmp_path / "o.sqlite"
    with Outbox(path, exclusive=True) as box:
        put(box, 1, "event")
        with pytest.raises(UserError, match="in use by another running 'dms edge' process"):
            Outbox(path, exclusive=True)
        with Outbox(path) as reader:  # looking in (dms edge outbox) is fine
            assert reader.count() == 1 and reader.moved_aside is None
    with Outbox(path, exclusive=True) as box:  # released on close
        assert box.count() == 1


def test_an_outbox_where_no_file_can_be_made_is_one_clear_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot use the outbox"):
        Outbox(blocker / "o.sqlite")
