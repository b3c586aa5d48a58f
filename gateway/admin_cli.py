"""`dms users add` and `dms vehicles add|list`: administration from the command line.

Both migrate the database first (so they work on a fresh file) and register exactly as the API does.
A dealer code that does not exist yet is created (named after its code) and said so.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from dms.contract.messages import utc_now
from dms.errors import UserError

ROLE_CHOICES = ("admin", "dispatcher", "service_advisor", "technician", "salesperson", "sales_manager")
DB_OPTION = click.option(
    "--db", "db_url", required=True, metavar="URL", help="sqlite:///PATH or postgresql://USER@HOST/DB."
)


def _in_transaction(db_url: str, work: Callable):
    from gateway.db.migrate import upgrade
    from gateway.db.session import make_engine, session_scope

    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as db:
            return work(db)
    finally:
        engine.dispose()


def _dealer(db, code: str | None) -> None:
    from gateway.db.models import Dealer
    from gateway.registry import ensure_dealer

    if code is not None and db.get(Dealer, code) is None:
        ensure_dealer(db, code)
        click.echo(f"created dealer {code}", err=True)


@click.group("users")
def users() -> None:
    """Manage portal and API users."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLE_CHOICES), help="What the user may do.")
@click.option(
    "--dealer",
    "dealer_code",
    metavar="CODE",
    help="The dealer the user works for (required for service_advisor and technician).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    default=True,
    hidden=True,
    help="Read the password from the first line of stdin (always the case).",
)
@DB_OPTION
def add_user(name, role, dealer_code, password_stdin, db_url):
    """Add user NAME; the password is the first line of stdin (`echo pw | dms users add ...`)."""
    from gateway.auth import create_user

    if sys.stdin.isatty():
        click.echo("password (one line): ", err=True, nl=False)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UserError(
            "no password on stdin", hint="e.g. printf '%s\\n' \"$PW\" | dms users add NAME --role ..."
        )

    def work(db):
        _dealer(db, dealer_code)
        return create_user(db, name, password, role, dealer_code=dealer_code, now=utc_now()).username

    click.echo(
        f"added user {_in_transaction(db_url, work)} ({role}{', dealer ' + dealer_code if dealer_code else ''})"
    )


@click.group("vehicles")
def vehicles() -> None:
    """Register and list vehicles."""


@vehicles.command("add")
@click.argument("vehicle_id")
@click.option("--vin", help="17-character VIN.")
@click.option("--plate", help="Licence plate.")
@click.option("--model", help="Vehicle model (maintenance rules apply per model).")
@click.option("--dealer", "dealer_code", metavar="CODE", help="Servicing dealer.")
@click.option("--purchase-date", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD.")
@click.option("--service-life-years", type=int, help="Scrap after this many years.")
@click.option("--mileage-limit-km", type=float, help="Scrap after this many km.")
@DB_OPTION
def add_vehicle(
    vehicle_id, vin, plate, model, dealer_code, purchase_date, service_life_years, mileage_limit_km, db_url
):
    """Register VEHICLE_ID (the id in its MQTT topics) as the API does."""
    from gateway.registry import VehicleIn, parse, register_vehicle

    fields = {
        "vehicle_id": vehicle_id,
        "vin": vin,
        "plate": plate,
        "model": model,
        "dealer_code": dealer_code,
        "purchase_date": purchase_date.date() if purchase_date else None,
        "service_life_years": service_life_years,
        "mileage_limit_km": mileage_limit_km,
    }
    data = parse(VehicleIn, {k: v for k, v in fields.items() if v is not None}, "vehicle")

    def work(db):
        _dealer(db, data.dealer_code)
        return register_vehicle(db, data, now=utc_now()).vehicle_id

    click.echo(f"registered vehicle {_in_transaction(db_url, work)}")


@vehicles.command("list")
@DB_OPTION
def list_vehicles(db_url):
    """One line per vehicle: id, model, plate, VIN, dealer, status, odometer, last seen."""
    from sqlalchemy import select

    from gateway.db.models import Vehicle, VehicleLiveStatus

    def work(db):
        return db.execute(
            select(Vehicle, VehicleLiveStatus).outerjoin(VehicleLiveStatus).order_by(Vehicle.vehicle_id)
        ).all()

    rows = _in_transaction(db_url, work)
    header = ("VEHICLE", "MODEL", "PLATE", "VIN", "DEALER", "STATUS", "ODOMETER_KM", "LAST_SEEN")
    lines = [header] + [
        (
            v.vehicle_id,
            v.model or "-",
            v.plate or "-",
            v.vin or "-",
            v.dealer_code or "-",
            v.status + (" (archived)" if v.archived else ""),
            f"{live.odometer_km:.1f}" if live and live.odometer_km is not None else "-",
            live.last_seen.isoformat(timespec="seconds") if live and live.last_seen else "-",
        )
        for v, live in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
