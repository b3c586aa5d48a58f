"""The fleet plan without any process: what each tick sends, that it honours the contract, and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from dms.contract import decode_all
from tools.cli import main
from tools.load.simulator import FleetPlan, FleetSettings, StorageBudget, percentiles, publish_packet_bytes

T = datetime(2026, 8, 1, 6, 0, tzinfo=UTC)


def _drive(plan: FleetPlan, vehicles: int, ticks: int) -> list:
    sent = [m for tick in range(ticks) for i in range(vehicles) for m in plan.vehicle_tick(i, tick, T)]
    sent += list(plan.close_episodes(T))
    return sent


def test_each_tick_sends_one_status_per_vehicle_and_events_come_in_start_end_pairs():
    plan = FleetPlan(FleetSettings(vehicles=50, episodes_per_hour=360, tag="plan1", profile="detailed"))
    sent = _drive(plan, 50, 60)
    messages = [m for topic, payload in sent for m in decode_all(topic, payload)]
    assert len(sent) == len(messages) == plan.documents  # one per MQTT message, as JSON
    assert sum(m.kind == "status" for m in messages) == sum(m.kind == "state" for m in messages) == 50 * 60
    events = [m for m in messages if m.kind == "event"]
    starts = {m.episode_id for m in events if m.phase == "start"}
    assert starts and starts == {m.episode_id for m in events if m.phase == "end"}
    assert len({m.msg_id for m in messages}) == len(messages)
    assert all(m.msg_id.startswith("plan1") and m.vehicle_id.startswith("plan1-") for m in messages)


def test_percentiles_and_the_command_line(capsys):
    assert percentiles([float(i) for i in range(1, 101)])["p50"] == 50.5
    assert main(["simulate", "--help"]) == 0
    assert "--vehicles" in capsys.readouterr().out
    assert main(["simulate", "--mqtt", "mqtt://x", "--db", "sqlite:///x", "--vehicles", "0"]) == 2


def test_the_default_profile_sends_what_the_edge_would_in_batches():
    plan = FleetPlan(FleetSettings(vehicles=5, episodes_per_hour=0, tag="plan2"))
    sent = _drive(plan, 5, 600)
    messages = [m for topic, payload in sent for m in decode_all(topic, payload)]
    assert all(topic.endswith("-cbor1") for topic, _ in sent) and len(messages) == plan.documents
    statuses = [m for m in messages if m.kind == "status"]
    # 10 minutes: the speed swings by 1 km/h a second (a sample per 10 km/h) and it moves ~8 km (250 m)
    assert 5 * 60 <= len(statuses) <= 5 * 120
    assert sum(m.kind == "state" for m in messages) == 5 * 10  # the 60 s heartbeat
    # batched: status at most once per 20 s window (+ the last flush), state alone (one a minute)
    assert sum("/status" in topic for topic, _ in sent) <= 5 * (30 + 1)


def test_packet_sizes_and_the_storage_budget():
    assert publish_packet_bytes("dms/v1/A/status", b"x" * 100) == 2 + 2 + 15 + 2 + 1 + 100
    assert publish_packet_bytes("t", b"x" * 200, v5=False) == 3 + 2 + 1 + 2 + 200
    budget = StorageBudget(8.0, {"status_samples": 8.0, "status_minutes": 366.0})
    written, held = budget.lines({"status_samples": 1000.0, "status_minutes": 100.0})
    assert "0.01 MB (status_minutes 1 KB, status_samples 8 KB)" in written
    assert "0.4 MB = 0.001 MB per vehicle-day" in held
