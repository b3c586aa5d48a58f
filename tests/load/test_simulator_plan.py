"""The fleet plan without any process: what each tick sends, that it honours the contract, and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from dms.contract import decode
from tools.cli import main
from tools.load.simulator import FleetPlan, FleetSettings, percentiles

T = datetime(2026, 8, 1, 6, 0, tzinfo=UTC)


def test_each_tick_sends_one_status_per_vehicle_and_events_come_in_start_end_pairs():
    plan = FleetPlan(FleetSettings(vehicles=50, episodes_per_hour=360, tag="plan1"))
    sent = [m for tick in range(60) for i in range(50) for m in plan.vehicle_tick(i, tick, T)]
    sent += list(plan.close_episodes(T))
    messages = [decode(*m) for m in sent]
    assert sum(m.kind == "status" for m in messages) == 50 * 60
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
