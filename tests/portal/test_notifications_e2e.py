"""End to end: a driver event applied by the gateway's ingest (the same `Ingestor` that `dms gateway
run` uses, in process) opens an alert, and the notification worker mails it through a real SMTP server
and POSTs it, signed, to a webhook receiver; a dispatcher's service request reaches the dealer's advisor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dealer_portal.notify import rules
from dealer_portal.notify.send import SIGNATURE_HEADER, signature
from dealer_portal.notify.settings import NotifySettings
from dealer_portal.notify.worker import NotificationWorker
from dealer_portal.records.service_requests import request_service
from gateway.db.models import Alert
from gateway.db.session import make_engine, make_sessionmaker
from gateway.ingest.batch import Ingestor
from gateway.settings import GatewaySettings
from tests.support.factories import event
from tests.support.notify import smtp_server, webhook_receiver
from tests.support.portal import ADVISOR, DISPATCHER, T0

pytestmark = pytest.mark.slow
SECRET = "e2e-signing-secret-123"


def test_an_alert_stored_by_the_gateway_is_mailed_and_posted(world, db_url):
    clock = {"now": T0}
    sessions = make_sessionmaker(make_engine(db_url))
    with smtp_server() as box, webhook_receiver() as hooks:
        settings = NotifySettings(
            smtp_host=box.host,
            smtp_port=box.port,
            portal_url="http://portal.test",
            webhook_allow_private=True,
        )
        worker = NotificationWorker(sessions, settings, lambda: clock["now"])
        worker.run_once()  # the worker was running before the alert came
        rules.create(
            world,
            DISPATCHER,
            event_type="microsleep",
            channel="email",
            target="dora@fleet.example",
            secret="",
            now=T0,
        )
        rules.create(
            world,
            DISPATCHER,
            event_type="microsleep",
            channel="webhook",
            target=f"{hooks.url}/in",
            secret=SECRET,
            now=T0,
        )
        rules.create(
            world,
            ADVISOR,
            event_type="service_request",
            channel="email",
            target="sam@d1.example",
            secret="",
            now=T0,
        )
        world.commit()

        clock["now"] = T0 + timedelta(seconds=5)
        ingest = Ingestor(sessions, GatewaySettings(), clock=lambda: clock["now"])
        result = ingest.apply(
            [event("VAN-1", T0, type="microsleep", level=2, episode="e2e-1", driver="drv-9")]
        )
        assert result.applied == 1
        alert_id = world.query(Alert).filter_by(vehicle_id="VAN-1").one().id
        world.rollback()  # (SQLite: an open transaction here would lock the worker out)

        passed = worker.run_once()
        assert (passed.queued, passed.sent, passed.failed) == (2, 2, 0), passed.errors
        (mail,) = box.messages
        assert mail["To"] == "dora@fleet.example" and "Microsleep: VAN-1" in mail["Subject"]
        assert "drv-9" in mail.get_payload() and "http://portal.test/vehicles/VAN-1" in mail.get_payload()
        (path, headers, body) = hooks.calls[0]
        assert path == "/in" and headers[SIGNATURE_HEADER] == signature(SECRET, body)
        assert hooks.json()["alert_id"] == alert_id and hooks.json()["driver_id"] == "drv-9"

        # the episode ends: the same alert, nobody told twice
        ingest.apply(
            [
                event(
                    "VAN-1",
                    T0 + timedelta(seconds=3),
                    type="microsleep",
                    level=2,
                    phase="end",
                    episode="e2e-1",
                )
            ]
        )
        assert worker.run_once().queued == 0

        request_service(
            world, DISPATCHER, "VAN-2", reason="tyre pressure warning", preferred=None, now=clock["now"]
        )
        world.commit()
        assert worker.run_once().sent == 1
        assert box.messages[-1]["To"] == "sam@d1.example"
        assert "tyre pressure warning" in box.messages[-1].get_payload()
