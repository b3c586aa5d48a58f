"""The wire contract between vehicle and back office. Importable without any vision or database stack."""
from dms.contract.codec import (MAX_PAYLOAD_BYTES, SUBSCRIPTION, TOPIC_ROOT, ContractError, command_topic,
                                decode, encode, parse_topic, topic_for)
from dms.contract.messages import (MODELS, SCHEMA_VERSION, VSS_VERSION, DriverEvent, DriverEventType,
                                   DriverState, Envelope, EventPhase, GazeZone, GeoPoint, Kind, Message,
                                   Presence, PresenceState, VehicleSignals, VehicleStatus, new_msg_id,
                                   utc_now)

__all__ = [
    "MAX_PAYLOAD_BYTES", "SUBSCRIPTION", "TOPIC_ROOT", "ContractError", "command_topic", "decode", "encode",
    "parse_topic", "topic_for", "MODELS", "SCHEMA_VERSION", "VSS_VERSION", "DriverEvent", "DriverEventType",
    "DriverState", "Envelope", "EventPhase", "GazeZone", "GeoPoint", "Kind", "Message", "Presence",
    "PresenceState", "VehicleSignals", "VehicleStatus", "new_msg_id", "utc_now",
]
