"""The vehicle page lists the vehicle's driver sessions and the episodes that started in each (issue 25)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from dealer_portal.app import create_app
from dealer_portal.sample_data import create_sample_database, password_for
from gateway.db.models import DriverEventRecord
from gateway.db.session import make_engine, make_sessionmaker, session_scope
from tests.portal.test_hostile_web import _csrf

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _event(
    n: int, minutes: float, type_: str, session: str | None, phase: str = "start"
) -> DriverEventRecord:
    return DriverEventRecord(
        msg_id=f"m{n}",
        vehicle_id="VAN-2",
        ts=NOW - timedelta(minutes=minutes),
        type=type_,
        phase=phase,
        level=0 if type_ == "driver_change" else 2,
        episode_id=f"e{n}",
        details={},
        received_at=NOW,
        driver_session_id=session,
    )


def test_the_vehicle_page_shows_each_driver_session_with_its_episodes(tmp_path):
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    create_sample_database(url, NOW, password_rounds=4)
    with session_scope(make_sessionmaker(make_engine(url))) as db:
        db.add_all(
            [
                _event(1, 90, "microsleep", "morning1"),
                _event(2, 30, "driver_change", "evening2"),
                _event(3, 20, "drowsiness", "evening2"),
                _event(4, 10, "long_distraction", None),
            ]
        )
    client = TestClient(create_app(url, clock=lambda: NOW), follow_redirects=False)
    form = {
        "username": "ada",
        "password": password_for("ada"),
        "csrf_token": _csrf(client.get("/login").text),
    }
    assert client.post("/login", data=form).status_code == 303
    html = client.get("/vehicles/VAN-2").text
    card = html[html.index('id="driver-sessions"') :]
    card = card[: card.index("</table>")]
    assert card.index("evening2") < card.index("morning1")  # newest first
    evening, morning = card.split("morning1")[0].split("evening2")[1], card.split("morning1")[1]
    assert "drowsiness" in evening and "microsleep" not in evening and "driver change" not in evening
    assert "microsleep" in morning and "long distraction" not in card  # no session: not listed
