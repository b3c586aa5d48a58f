"""`dms dealer exchange export|import`: the manufacturer exchange file from the command line.

    dms dealer exchange export --db URL --dealer D1 --out d1.json
    dms dealer exchange import --db URL --dealer D1 d1.json     # prints the validation report

An import with rejected records still applies the good ones and exits with status 1, so a script sees
that the report needs reading."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from dms.errors import UserError


@click.group("dealer")
def dealer() -> None:
    """Dealer back-office data (new-vehicle sales and logistics)."""


@dealer.group("exchange")
def exchange() -> None:
    """The manufacturer exchange file (docs/exchange/README.md)."""


_DB = click.option("--db", "db_url", required=True, metavar="URL", help="The portal's database.")
_DEALER = click.option("--dealer", "dealer_code", required=True, metavar="CODE", help="Dealer code, e.g. D1.")


def _session(db_url: str):
    from dealer_portal.migrate import is_up_to_date
    from gateway.db.session import make_engine, make_sessionmaker

    engine = make_engine(db_url)
    if not is_up_to_date(engine):
        engine.dispose()
        raise UserError(
            "the database is not migrated to the portal's latest schema (run `dms portal run` once)"
        )
    return engine, make_sessionmaker(engine)()


def _actor(dealer_code: str):
    from dealer_portal.records.actor import Actor

    return Actor(f"cli:{getpass.getuser()}", "admin", dealer_code)


@exchange.command("export")
@_DB
@_DEALER
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File (default: stdout).",
)
def export_cmd(db_url: str, dealer_code: str, out: Path | None) -> None:
    """Write the dealer's orders, stock, warranty claims and parts order as one exchange file."""
    from dealer_portal.exchange import transfer
    from dms.contract.messages import utc_now
    from gateway.db.models import Dealer

    engine, session = _session(db_url)
    try:
        if session.get(Dealer, dealer_code) is None:
            raise UserError(f"no dealer {dealer_code!r}")
        text = transfer.dumps(transfer.export(session, _actor(dealer_code), utc_now()))
    finally:
        session.close()
        engine.dispose()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@exchange.command("import")
@_DB
@_DEALER
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(db_url: str, dealer_code: str, path: Path) -> None:
    """Read an exchange file: apply its stock records, check every record, print the report."""
    from dealer_portal.exchange import transfer
    from dms.contract.messages import utc_now

    document = transfer.read(path.read_bytes())
    engine, session = _session(db_url)
    try:
        report = transfer.import_file(session, _actor(dealer_code), document, utc_now())
        session.commit()
    finally:
        session.close()
        engine.dispose()
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)
