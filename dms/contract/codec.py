"""Topics and (de)serialisation of contract messages, with one clear reason for every rejection."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import from_json

from dms.contract.messages import MODELS, SCHEMA_VERSION, Envelope, Kind, is_valid_vehicle_id

TOPIC_ROOT = "dms/v1"
SUBSCRIPTION = f"{TOPIC_ROOT}/+/+"
MAX_PAYLOAD_BYTES = 64 * 1024
# The parser's depth limit (pydantic-core's JSON parser stops there; no message of the contract nests
# deeper than 4). Python's json module recursed instead: RecursionError at about 1,000 levels, which a
# payload well within 64 KiB reaches.
MAX_JSON_DEPTH = 200


class ContractError(ValueError):
    """A payload that does not satisfy the contract. `reason` is a short machine-friendly code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def topic_for(vehicle_id: str, kind: str | Kind) -> str:
    kind = kind.value if isinstance(kind, Kind) else kind
    if kind not in MODELS and kind != "cmd":
        raise ValueError(f"unknown message kind {kind!r}")
    if not is_valid_vehicle_id(vehicle_id):
        raise ValueError(f"invalid vehicle id {vehicle_id!r}")
    return f"{TOPIC_ROOT}/{vehicle_id}/{kind}"


def command_topic(vehicle_id: str) -> str:
    """The one topic a vehicle may subscribe to (commands from the back office)."""
    return topic_for(vehicle_id, "cmd")


def parse_topic(topic: str) -> tuple[str, str]:
    """`dms/v1/<vehicle_id>/<kind>` -> (vehicle_id, kind); ContractError otherwise."""
    parts = topic.split("/")
    if len(parts) != 4 or "/".join(parts[:2]) != TOPIC_ROOT:
        raise ContractError("bad_topic", f"expected {TOPIC_ROOT}/<vehicle_id>/<kind>, got {topic!r}")
    vehicle_id, kind = parts[2], parts[3]
    if not is_valid_vehicle_id(vehicle_id):
        raise ContractError("bad_topic", f"invalid vehicle id in topic {topic!r}")
    if kind not in MODELS:
        raise ContractError("unknown_kind", f"unknown message kind {kind!r} in topic {topic!r}")
    return vehicle_id, kind


def encode(message: Envelope) -> tuple[str, bytes]:
    """A message -> (topic, UTF-8 JSON payload) with VSS names as keys."""
    payload = message.model_dump_json(by_alias=True, exclude_none=True).encode()
    return topic_for(message.vehicle_id, message.kind), payload


# The models default these for senders; a receiver must not invent them (a redelivered message without
# a msg_id would get a new one each time and be applied twice), nor assume the schema version.
_REQUIRED_ON_RECEIPT = frozenset({"schema_version", "msg_id", "ts"})


def decode(topic: str, payload: bytes) -> Envelope:
    """Validate a received payload against its topic. Raises ContractError with the reason."""
    message = _decode(topic, payload)
    problem = message.timestamp_problem()
    if problem is not None:
        raise ContractError("invalid", problem)
    # PostgreSQL stores no NUL character in a text; a JSON text can only carry one as an escape.
    if b"\\u0000" in payload and _has_nul(message.model_dump()):
        raise ContractError("invalid", "text must not contain the NUL character (\\u0000)")
    return message


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _decode(topic: str, payload: bytes) -> Envelope:
    vehicle_id, kind = parse_topic(topic)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError("too_large", f"{len(payload)} bytes, limit {MAX_PAYLOAD_BYTES}")
    # Fast path for the common, valid message: pydantic parses and validates the bytes in one pass
    # (half the CPU of json.loads + model_validate). Whatever it does not accept outright is decoded
    # again step by step below, which names the reason.
    try:
        message = MODELS[kind].model_validate_json(payload)
    except ValidationError:
        pass
    else:
        if _REQUIRED_ON_RECEIPT <= message.model_fields_set and message.vehicle_id == vehicle_id:
            return message
    return _decode_explained(vehicle_id, kind, payload)


def _decode_explained(vehicle_id: str, kind: str, payload: bytes) -> Envelope:
    try:
        data = from_json(payload)  # the parser the fast path uses: same verdicts, bounded depth
    except ValueError as exc:
        if "recursion limit" in str(exc):
            raise ContractError("invalid", f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        raise ContractError("not_json", str(exc)) from None
    if not isinstance(data, dict):
        raise ContractError("invalid", "payload must be a JSON object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ContractError(
            "unknown_schema_version", f"schema_version {version!r}; this receiver knows {SCHEMA_VERSION}"
        )
    missing = [key for key in ("msg_id", "ts") if key not in data]
    if missing:
        raise ContractError("invalid", f"{missing[0]}: Field required")
    try:
        message = MODELS[kind].model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ContractError("invalid", f"{where}: {first['msg']}{more}") from None
    if message.vehicle_id != vehicle_id:
        raise ContractError(
            "vehicle_mismatch",
            f"payload vehicle_id {message.vehicle_id!r} differs from topic's {vehicle_id!r}",
        )
    return message
