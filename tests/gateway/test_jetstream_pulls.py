"""The bookkeeping of the pull requests a gateway keeps open (gateway/jetstream_pulls.py), on fake time."""

from gateway.jetstream_pulls import GRACE_S, HEARTBEATS_MISSED, OpenPulls


def test_messages_count_against_their_request_and_the_last_one_ends_it():
    pulls = OpenPulls(expires_s=10, heartbeat_s=1)
    a, b = pulls.open(2, now=0), pulls.open(3, now=0)
    assert pulls.outstanding == 5 and len(pulls) == 2
    assert pulls.delivered(a, now=0.1) is False
    assert pulls.delivered(a, now=0.2) is True  # its last: the caller drops its subscription
    assert pulls.outstanding == 3 and len(pulls) == 1
    pulls.delivered(b, now=0.3)
    assert pulls.outstanding == 2


def test_a_status_ends_a_request_with_what_it_had_left():
    pulls = OpenPulls(expires_s=10, heartbeat_s=1)
    a = pulls.open(100, now=0)
    for _ in range(40):
        pulls.delivered(a, now=1)
    pulls.ended(a)  # 408: expired with 60 not sent
    assert pulls.outstanding == 0 and len(pulls) == 0
    pulls.ended(a)  # a second status for it changes nothing
    assert pulls.outstanding == 0


def test_a_message_of_a_forgotten_request_is_not_counted_twice():
    pulls = OpenPulls(expires_s=10, heartbeat_s=1)
    a = pulls.open(5, now=0)
    assert pulls.clear() == [a]  # reconnected: every request forgotten
    assert pulls.delivered(a, now=1) is False
    assert pulls.outstanding == 0


def test_a_request_the_server_lost_is_dropped_after_its_heartbeats_stop():
    pulls = OpenPulls(expires_s=10, heartbeat_s=1)
    quiet, lost = pulls.open(10, now=0), pulls.open(10, now=0)
    silent_s = HEARTBEATS_MISSED * 1 + GRACE_S
    for t in range(1, 4):
        pulls.heartbeat(quiet, now=t)  # idle but alive: the server says so every second
    assert pulls.drop_stale(now=silent_s - 0.1) == []
    assert pulls.drop_stale(now=silent_s + 0.1) == [lost]
    assert pulls.outstanding == 10
    assert pulls.drop_stale(now=3.5) == []


def test_a_request_past_its_expiry_is_dropped_even_when_messages_kept_it_busy():
    pulls = OpenPulls(expires_s=10, heartbeat_s=1)
    a = pulls.open(1_000, now=0)
    for t in range(1, 12):
        pulls.delivered(a, now=t)  # busy all along, but its 408 never came
    assert pulls.drop_stale(now=10 + GRACE_S - 0.1) == []
    assert pulls.drop_stale(now=10 + GRACE_S + 0.1) == [a]
    assert pulls.outstanding == 0
