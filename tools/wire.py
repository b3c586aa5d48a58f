"""`dms decode`: a captured MQTT message (its topic and payload bytes) shown as the contract's JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from dms.contract import ContractError, decode_all, split_topic
from dms.errors import UserError


def describe(topic: str, payload: bytes) -> list[dict]:
    """Every message in `payload` as the contract's JSON document (a batch gives several)."""
    try:
        return [
            m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in decode_all(topic, payload)
        ]
    except ContractError as exc:
        raise UserError(f"{topic}: the contract refuses this payload ({exc.reason}: {exc.detail})") from None


@click.command("decode")
@click.argument("topic")
@click.argument("payload_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--hex", "is_hex", is_flag=True, help="The file holds the payload as hex text (mosquitto_sub -F %x)."
)
def decode(topic: str, payload_file: Path, is_hex: bool) -> None:
    """Show a captured message: TOPIC (e.g. dms/v1/VAN-7/status-cbor1) and the file of its payload
    ('-': standard input). JSON or compact (CBOR), one message or a batch: one line of the contract's
    JSON per message, then a line with the sizes."""
    split_topic_or_fail(topic)
    if str(payload_file) == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = payload_file.read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read {payload_file}: {exc.strerror}") from None
    if is_hex:
        try:
            raw = bytes.fromhex(raw.decode("ascii", errors="replace").strip())
        except ValueError:
            raise UserError(f"{payload_file}: not hex text") from None
    docs = describe(topic, raw)
    for doc in docs:
        click.echo(json.dumps(doc, ensure_ascii=False))
    as_json = sum(len(json.dumps(d, separators=(",", ":"))) for d in docs)
    click.echo(
        f"# {len(docs)} message(s), {len(raw)} bytes on the wire, {as_json} bytes as compact JSON", err=True
    )


def split_topic_or_fail(topic: str) -> None:
    try:
        split_topic(topic)
    except ContractError as exc:
        raise UserError(exc.detail) from None
