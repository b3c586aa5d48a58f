"""The portal tests' small world: two dealers, one user per role, two vehicles; and a browser sign-in."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dealer_portal.records.actor import Actor

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SAMPLE_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
"""The clock of the sample world that the portal's TestClient tests run on (fixture sample_app)."""

ADMIN = Actor("ada", "admin", None)
DISPATCHER = Actor("dora", "dispatcher", None)
ADVISOR = Actor("sam", "service_advisor", "D1")
TECH = Actor("tim", "technician", "D1")
OTHER_ADVISOR = Actor("olga", "service_advisor", "D2")
SALES = Actor("sue", "salesperson", "D1")
OTHER_SALES = Actor("sid", "salesperson", "D1")  # a colleague at the same dealer
SALES_MANAGER = Actor("max", "sales_manager", "D1")


def seed_world(session, hash_password=lambda p: "x" * 60) -> None:
    """Two dealers, one user per role (plus the second dealer's advisor), two vehicles serviced by D1."""
    from gateway.db.models import Dealer, User, Vehicle

    session.add_all([Dealer(code="D1", name="North Motors"), Dealer(code="D2", name="South Cars")])
    session.flush()
    for actor in (ADMIN, DISPATCHER, ADVISOR, TECH, OTHER_ADVISOR, SALES, OTHER_SALES, SALES_MANAGER):
        session.add(
            User(
                username=actor.username,
                password_hash=hash_password("secret-" + actor.username),
                role=actor.role,
                dealer_code=actor.dealer_code,
                active=True,
                created_at=T0,
            )
        )
    for vid, vin, plate, bought in (
        ("VAN-1", "WVWZZZ1JZXW000001", "B-AB 101", date(2020, 5, 1)),
        ("VAN-2", "WVWZZZ1JZXW000002", "B-AB 102", date(2014, 1, 15)),
    ):
        session.add(
            Vehicle(
                vehicle_id=vid,
                vin=vin,
                plate=plate,
                model="Transit Custom",
                purchase_date=bought,
                service_life_years=10,
                mileage_limit_km=300_000,
                dealer_code="D1",
                status="active",
                archived=False,
                created_at=T0,
                updated_at=T0,
            )
        )
    session.commit()


def login(page, base_url: str, username: str) -> None:
    from dealer_portal.sample_data import password_for

    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password_for(username))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=who]")


def csrf_of(html: str) -> str:
    """The CSRF token of a rendered page's forms."""
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def portal_client(app, user: str | None = None):
    """A test client of the portal app, signed in as `user` (a sample-data account) when given."""
    from fastapi.testclient import TestClient

    from dealer_portal.sample_data import password_for

    client = TestClient(app, follow_redirects=False)
    if user:
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login", data={"username": user, "password": password_for(user), "csrf_token": token}
        )
        assert response.status_code == 303, response.text
    return client
