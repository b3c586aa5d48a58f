"""Topics and (de)serialisation of contract messages, with one clear reason for every rejection."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import from_json

from dms.contract import compact
from dms.contract.messages import MODELS, SCHEMA_VERSION, Envelope, Kind, LiveRequest, is_valid_vehicle_id

TOPIC_ROOT = "dms/v1"
SUBSCRIPTION = f"{TOPIC_ROOT}/+/+"
MAX_PAYLOAD_BYTES = 64 * 1024
# The parser's depth limit (pydantic-core's JSON parser stops there; no message of the contract nests
# deeper than 4). Python's json module recursed instead: RecursionError at about 1,000 levels, which a
# payload well within 64 KiB reaches.
MAX_JSON_DEPTH = 200
BATCHED_KINDS = ("state", "status")
"""Only samples travel in batches; an event, presence or command is always one message."""
MAX_BATCH = 200


class ContractError(ValueError):
    """A payload that does not satisfy the contract. `reason` is a short machine-friendly code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def topic_for(vehicle_id: str, kind: str | Kind, fmt: str = "json") -> str:
    """`dms/v1/<vehicle_id>/<kind>` for JSON; `.../<kind>-<fmt>` for a compact encoding (e.g. status-cbor1):
    the vehicle chooses its encoding and every topic says which, so one gateway reads every vehicle."""
    kind = kind.value if isinstance(kind, Kind) else kind
    if kind not in MODELS and kind != "cmd":
        raise ValueError(f"unknown message kind {kind!r}")
    if not is_valid_vehicle_id(vehicle_id):
        raise ValueError(f"invalid vehicle id {vehicle_id!r}")
    if fmt not in compact.FORMATS:
        raise ValueError(f"unknown encoding {fmt!r}")
    return f"{TOPIC_ROOT}/{vehicle_id}/{kind}" + ("" if fmt == "json" else f"-{fmt}")


def command_topic(vehicle_id: str) -> str:
    """The one topic a vehicle may subscribe to (commands from the back office)."""
    return topic_for(vehicle_id, "cmd")


def is_command_topic(topic: str) -> bool:
    """`dms/v1/<vehicle_id>/cmd`: a command to a vehicle (the gateway's subscription sees it too)."""
    parts = topic.split("/")
    return len(parts) == 4 and "/".join(parts[:2]) == TOPIC_ROOT and parts[3] == "cmd"


def decode_command(vehicle_id: str, topic: str, payload: bytes) -> LiveRequest:
    """A command received on `vehicle_id`'s command topic; ContractError when it is not one for it."""
    if topic != command_topic(vehicle_id):
        raise ContractError("bad_topic", f"not this vehicle's command topic: {topic!r}")
    try:
        command = LiveRequest.model_validate(_json(payload))
    except ValidationError as exc:
        raise ContractError("invalid", str(exc).splitlines()[0]) from None
    if command.vehicle_id != vehicle_id:
        raise ContractError("vehicle_mismatch", f"a command for {command.vehicle_id!r} on {topic!r}")
    return command


def parse_topic(topic: str) -> tuple[str, str]:
    """`dms/v1/<vehicle_id>/<kind>[-<fmt>]` -> (vehicle_id, kind); ContractError otherwise."""
    vehicle_id, kind, _ = split_topic(topic)
    return vehicle_id, kind


def split_topic(topic: str) -> tuple[str, str, str]:
    """`dms/v1/<vehicle_id>/<kind>[-<fmt>]` -> (vehicle_id, kind, encoding); ContractError otherwise."""
    parts = topic.split("/")
    if len(parts) != 4 or "/".join(parts[:2]) != TOPIC_ROOT:
        raise ContractError("bad_topic", f"expected {TOPIC_ROOT}/<vehicle_id>/<kind>, got {topic!r}")
    vehicle_id, (kind, _, fmt) = parts[2], parts[3].partition("-")
    if not is_valid_vehicle_id(vehicle_id):
        raise ContractError("bad_topic", f"invalid vehicle id in topic {topic!r}")
    if kind not in MODELS:
        raise ContractError("unknown_kind", f"unknown message kind {kind!r} in topic {topic!r}")
    if fmt and (fmt == "json" or fmt not in compact.FORMATS):
        raise ContractError("unknown_encoding", f"unknown encoding {fmt!r} in topic {topic!r}")
    return vehicle_id, kind, fmt or "json"


def _document(message: Envelope) -> dict:
    return message.model_dump(mode="json", by_alias=True, exclude_none=True)


def encode(message: Envelope, fmt: str = "json") -> tuple[str, bytes]:
    """A message -> (topic, payload): UTF-8 JSON with VSS names as keys, or a compact `fmt` (cbor1)."""
    topic = topic_for(message.vehicle_id, message.kind, fmt)
    if fmt == "json":
        return topic, message.model_dump_json(by_alias=True, exclude_none=True).encode()
    return topic, compact.dumps(_document(message), fmt)


def encode_batch(messages: list[Envelope], fmt: str = "json") -> tuple[str, bytes]:
    """Samples of one vehicle and kind (state or status) -> one (topic, payload): a JSON array of the
    contract's documents, or a CBOR array of their compact forms."""
    first = messages[0]
    if first.kind not in BATCHED_KINDS or any(
        (m.vehicle_id, m.kind) != (first.vehicle_id, first.kind) for m in messages
    ):
        raise ValueError("a batch holds state or status samples of one vehicle and one kind")
    if not 1 <= len(messages) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} samples")
    topic = topic_for(first.vehicle_id, first.kind, fmt)
    if fmt == "json":
        return topic, b"[" + b",".join(
            m.model_dump_json(by_alias=True, exclude_none=True).encode() for m in messages
        ) + b"]"
    return topic, compact.dumps([_document(m) for m in messages], fmt)


# The models default these for senders; a receiver must not invent them (a redelivered message without
# a msg_id would get a new one each time and be applied twice), nor assume the schema version.
_REQUIRED_ON_RECEIPT = frozenset({"schema_version", "msg_id", "ts"})


def decode(topic: str, payload: bytes) -> Envelope:
    """Validate a received payload of one message against its topic. Raises ContractError with the reason."""
    messages = decode_all(topic, payload)
    if len(messages) != 1:
        raise ContractError("invalid", f"a batch of {len(messages)} messages where one was expected")
    return messages[0]


def decode_all(topic: str, payload: bytes) -> list[Envelope]:
    """Validate a received payload against its topic: one message, or a batch of samples (a JSON or CBOR
    array), in the topic's encoding. Raises ContractError with the reason; one bad sample refuses the batch."""
    vehicle_id, kind, fmt = split_topic(topic)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError("too_large", f"{len(payload)} bytes, limit {MAX_PAYLOAD_BYTES}")
    if fmt == "json" and payload.lstrip()[:1] != b"[":
        messages = [_decode(vehicle_id, kind, payload)]
    else:
        docs = _json(payload) if fmt == "json" else _compact(payload, fmt)
        if isinstance(docs, list):
            if kind not in BATCHED_KINDS:
                raise ContractError("invalid", f"{kind} messages travel alone, never in a batch")
            if not 1 <= len(docs) <= MAX_BATCH:
                raise ContractError("invalid", f"a batch holds 1 to {MAX_BATCH} samples, not {len(docs)}")
        else:
            docs = [docs]
        messages = [_validate(vehicle_id, kind, doc, fmt != "json") for doc in docs]
    for message in messages:
        problem = message.timestamp_problem()
        if problem is not None:
            raise ContractError("invalid", problem)
    # PostgreSQL stores no NUL character in a text; a JSON text can only carry one as an escape.
    if (fmt != "json" or b"\\u0000" in payload) and any(_has_nul(m.model_dump()) for m in messages):
        raise ContractError("invalid", "text must not contain the NUL character (\\u0000)")
    return messages


def _compact(payload: bytes, fmt: str):
    try:
        return compact.loads(payload, fmt)
    except compact.CompactError as exc:
        raise ContractError("invalid", str(exc)) from None


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _decode(vehicle_id: str, kind: str, payload: bytes) -> Envelope:
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
    return _validate(vehicle_id, kind, _json(payload))


def _json(payload: bytes):
    try:
        return from_json(payload)  # the parser the fast path uses: same verdicts, bounded depth
    except ValueError as exc:
        if "recursion limit" in str(exc):
            raise ContractError("invalid", f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        raise ContractError("not_json", str(exc)) from None


def _validate(vehicle_id: str, kind: str, data, from_topic: bool = False) -> Envelope:
    """One received document -> its message. `from_topic`: vehicle_id and kind come from the topic
    (the compact form leaves them out)."""
    if not isinstance(data, dict):
        raise ContractError(
            "invalid", "payload must be a JSON object" if not from_topic else "a message must be a map"
        )
    if from_topic:
        data = {"vehicle_id": vehicle_id, "kind": kind, **data}
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
