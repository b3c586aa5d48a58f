"""Settings of the gateway: ingest, projections, triggers and the REST API."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from dms.broker_tls import TlsSettings
from dms.errors import UserError
from dms.settings import Settings, describe_validation_error


def split_host_port(address: str) -> tuple[str, int]:
    """HOST:PORT ([::1]:PORT for IPv6) -> (host, port); ValueError when malformed."""
    host, sep, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or any(c.isspace() for c in host) or not port.isdigit() or int(port) > 65535:
        raise ValueError("expected HOST:PORT, e.g. 127.0.0.1:9464 (port 0: any free port)")
    return host, int(port)


class GatewaySettings(Settings):
    # --- MQTT ingest -------------------------------------------------------------------------
    group: str = Field("dms-gateway", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """Shared-subscription group ($share/<group>/...): gateway processes in one group split the load."""
    client_id: str | None = Field(None, max_length=64)
    """MQTT client id. A fixed id keeps the broker session (queued and unacknowledged messages) across
    restarts; None derives one from the group and host name."""
    mqtt_protocol: Literal["auto", "5", "3.1.1"] = "auto"
    """auto: MQTT 5 (shared subscription) when the broker speaks it, else 3.1.1 (plain subscription)."""
    batch_max: int = Field(2000, ge=1, le=10_000)
    """Commit at most this many messages per transaction (acknowledged after the commit)."""
    batch_wait_ms: float = Field(5.0, ge=0, le=1000)
    """After the first message of a batch, wait at most this long for more before committing."""
    receive_maximum: int = Field(10_000, ge=1, le=65535)
    """MQTT 5 Receive Maximum (NATS: the most this gateway asks for ahead): unacknowledged messages in
    flight to this gateway. Leave room for a batch to gather while `ingest_workers` batches are being
    committed (>= 3 x `batch_max`)."""
    ingest_workers: int = Field(2, ge=1, le=8)
    """Batches applied at once, each in its own transaction (PostgreSQL; SQLite always uses one): the
    database works on one batch while the next is decoded. Acknowledged in arrival order all the same."""
    ingest_processes: bool = True
    """PostgreSQL: apply batches in `ingest_workers` worker processes, so that decoding and SQL building
    do not share one interpreter lock with the MQTT receive (the gateway then uses more than one core).
    False: threads in the gateway process. SQLite always ingests in the gateway process."""
    session_expiry_s: int = Field(7 * 24 * 3600, ge=0)
    """How long the broker keeps our session (and queues messages) while the gateway is down."""

    # --- Bus credentials and TLS (never in the URL: `ps` shows every local user a command line) ------
    bus_username: str | None = Field(None, min_length=1, max_length=128)
    """User name on the bus (the gateways' service account, `_gateway`); None: the URL's, if any."""
    bus_password_env: str = Field("DMS_GATEWAY_BUS_PASSWORD", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    """Environment variable holding the bus password (read at start, never logged); wins over the file."""
    bus_password_file: Path | None = None
    """File holding the bus password (first line; `dms provision _gateway --gateway` writes one, 0600).
    A password in the bus URL is refused."""
    mqtt_tls: TlsSettings = TlsSettings()
    """TLS to Mosquitto (mqtts://, the gateway listener 8884 of deploy/mosquitto): `ca_file` the fleet's
    CA (None: the system store), `cert_file`/`key_file` a client certificate, `insecure` skips the host
    name check (test rigs only), `enabled` overrides the URL scheme."""

    # --- Health and metrics -------------------------------------------------------------------
    http: str | None = Field("127.0.0.1:9464", max_length=300)
    """HOST:PORT of the gateway's small HTTP port: GET /healthz (the ingest loop turns), /readyz (the
    database answers and the bus is connected; 503 otherwise), /metrics (Prometheus). Loopback by
    default (scrape it from this host, or bind the data-centre address and firewall it); port 0: any free
    port (logged at start, for several gateways on one host); None (`--http off`): no HTTP port."""

    # --- NATS JetStream ingest (`--bus nats://...`) -------------------------------------------
    stream: str = Field("$MQTT_msgs", pattern=r"^[$A-Za-z0-9_-]{1,32}$")
    """The JetStream stream the gateways consume: nats-server's store of MQTT QoS 1 messages, which a
    vehicle's PUBACK waits for (gateway/jetstream.py). Created at start when missing (as nats-server
    makes it), checked when present. The durable pull consumer the gateways share is named `group`."""
    stream_replicas: int = Field(3, ge=1, le=5)
    """The fewest copies of every message the gateway accepts (3: one node may be lost); the stream is
    made with this many when missing. Must not exceed the node count."""
    ack_wait_s: float = Field(60.0, ge=1, le=3600)
    """A received message not acknowledged this long is handed out again (to any gateway of the group):
    longer than a batch's commit, or a slow commit is applied twice (harmless: msg_id check) for nothing."""
    stream_max_age_s: float = Field(7 * 86400.0, ge=120, le=365 * 86400)
    """The stream drops a message this old even when no gateway has consumed it (nats-server's MQTT
    store has no limit of its own): longer than any gateway outage to survive, and shorter than
    `processed_retention_days` (a message may be handed out again that late). At least the stream's
    duplicate window, 2 minutes. Set on the stream at gateway start."""
    stream_max_bytes: int = Field(4 * 1024**3, ge=1024**2, le=2**50)
    """When the stream holds this many bytes not yet consumed, new vehicle messages are refused
    (discard new): nats-server closes the vehicle's connection without PUBACK, the vehicle keeps the
    message in its outbox and sends it again, so nothing is dropped at the bus. Every node stores the
    whole stream and reserves this much of its JetStream file store (`max_file_store`), which must have
    room for it. Set on the stream at gateway start."""
    max_ack_pending: int = Field(50_000, ge=1, le=1_000_000)
    """Unacknowledged messages of the whole consumer group (all gateways together): at least
    `receive_maximum` x the number of gateways, or the later ones wait for the earlier ones' acks."""

    retry_after_s: float = Field(2.0, gt=0, le=300)
    """Pause before retrying a batch when the database is unreachable (nothing is acknowledged meanwhile)."""
    auto_register_unknown: bool = False
    """Register vehicles on their first valid message instead of dead-lettering them as unknown."""
    dead_letter_max_bytes: int = Field(4096, ge=0, le=1_048_576)
    """Keep at most this many bytes of a rejected payload."""
    max_future_skew_s: float = Field(600.0, ge=0, le=7 * 86400)
    """A message stamped further ahead of the gateway clock than this is stored in the history but never
    moves the live view: it would hold the view until that time came (a year-9999 status froze it)."""

    # --- Projections and triggers -------------------------------------------------------------
    offline_after_s: float = Field(120.0, gt=0)
    """A vehicle counts as offline when nothing was heard from it for this long, whatever its presence."""
    low_voltage_v: float = Field(11.8, gt=0, le=60)
    """Low-voltage battery threshold, volts."""
    low_voltage_sustain_s: float = Field(300.0, ge=0)
    """The voltage must stay below the threshold this long (message time) before a proposal is made."""
    severe_dtcs: tuple[str, ...] = (
        "P0300",
        "P0301",
        "P0302",
        "P0303",
        "P0304",
        "P0305",
        "P0306",
        "P0307",
        "P0308",
    )
    """Diagnostic trouble codes that propose a service at once (default: engine misfire)."""
    fatigue_repeat_count: int = Field(3, ge=1)
    """This many fatigue episodes (drowsiness, microsleep, sleep) of one driver ..."""
    fatigue_repeat_window_days: float = Field(7.0, gt=0)
    """... within this many days flag the driver for the fleet."""
    calendar_check_s: float = Field(60.0, gt=0, le=3600)
    """How often the gateway evaluates calendar (months) maintenance rules, prunes the change log and
    the de-duplication keys, creates the coming history partitions and drops the expired ones."""
    changes_retention_h: float = Field(1.0, gt=0, le=24 * 30)
    """Change-log rows are kept this long. Readers only need the recent past: the SSE stream and the
    portal poll every fraction of a second from the newest id, and a reconnecting EventSource resumes
    after its Last-Event-ID, so this must cover the longest reconnect worth resuming (a browser that
    was away longer reloads the page). One row per vehicle per batch that moved its live view."""

    # --- Retention of the big tables (gateway/db/retention.py, also `dms gateway prune`) -------
    processed_retention_days: float = Field(14.0, gt=0, le=3650)
    """Keep an applied message's msg_id (`processed_messages`, by time received) this long to recognise
    a re-delivery; older ones are pruned. A copy comes back while the broker holds the gateway's session
    (unacknowledged deliveries, up to `session_expiry_s`: this must be longer) or when a vehicle re-sends
    the few messages whose PUBACK it lost, at its next connection. The vehicle outbox has no age limit
    (it is bounded by `outbox.max_messages`), so a vehicle offline for longer than this may re-send up to
    `mqtt.max_inflight` applied messages: a driver event is then refused by its unique msg_id (dead
    letter), a status sample is stored twice in the history; the live view does not move back."""
    raw_retention_days: int | None = Field(7, ge=1, le=3650)
    """Raw status rows (`status_samples`, every sample as received, with the whole VSS snapshot) are kept
    the current UTC day and this many days before it (PostgreSQL: whole day partitions dropped); the
    telemetry readings of `odometer_log` older than that are thinned to the last one per vehicle and UTC
    day (readings the portal entered are never touched). A week covers looking into last week's drives
    stop by stop and turn by turn; older history is `status_minutes`. None keeps everything."""
    raw_partitions_ahead_days: int = Field(3, ge=1, le=60)
    """PostgreSQL: daily `status_samples` partitions created ahead of today (at gateway start and by
    the periodic job), so a day never starts without its partition."""
    history_retention_days: int | None = Field(366, ge=1, le=36_500)
    """The per-minute history (`status_minutes`) is kept at least this long (PostgreSQL: whole months
    dropped once they are all older; SQLite: rows deleted). A year by default: a year of mileage, fuel
    and routes per minute. None keeps everything."""
    history_partitions_ahead_months: int = Field(2, ge=1, le=36)
    """PostgreSQL: monthly `status_minutes` partitions created ahead of the current month."""

    # --- Commands to vehicles (gateway/commands.py) --------------------------------------------
    command_broker: str | None = Field(None, max_length=500, repr=False)
    """Broker the REST API publishes vehicle commands through (the live view's request), e.g.
    mqtt://_gateway:PASSWORD@broker:1883 (deploy/mosquitto/acl lets `_gateway` write dms/v1/+/cmd); None:
    env DMS_COMMAND_BROKER, else a live-view request is answered 503."""
    live_view_s: float = Field(120.0, gt=0, le=3600)
    """How long a live-view request asks the vehicle for state and status every second, seconds (the
    vehicle bounds it too, `telemetry.live_max_s`); the portal's live view asks again while it is open."""

    # --- REST API ------------------------------------------------------------------------------
    jwt_secret: str | None = Field(None, min_length=16, repr=False)
    """Secret that signs API tokens; None: env DMS_JWT_SECRET, else a random one stored in the database."""
    token_ttl_minutes: int = Field(12 * 60, ge=1)
    """Lifetime of an API bearer token."""
    sse_poll_s: float = Field(0.5, gt=0, le=60)
    """How often the event stream looks for new changes."""
    sign_in_failures_max: int = Field(10, ge=1, le=10_000)
    """Failed sign-ins (POST /api/token, the portal's login) allowed per client address and user name
    within `sign_in_window_s` (ten times as many per address, whatever the names); further attempts are
    answered 429 without checking the password."""
    sign_in_window_s: float = Field(300.0, gt=0, le=86400)
    """The sliding window of `sign_in_failures_max`, seconds."""
    metrics_allow: tuple[str, ...] = Field(("127.0.0.0/8", "::1/128"), max_length=64)
    """Client networks (CIDR) that may read the API's /metrics; everyone else gets 404. Add the
    Prometheus server's address; behind a reverse proxy, do not forward /metrics at all."""

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            ipaddress.ip_network(network)  # ValueError: not a network (e.g. host bits set)
        return value

    @field_validator("http")
    @classmethod
    def _listen_address(cls, value: str | None) -> str | None:
        if value is not None:
            split_host_port(value)
        return value

    @model_validator(mode="after")
    def _keys_outlive_the_broker_session(self) -> GatewaySettings:
        if self.processed_retention_days * 86400 <= self.session_expiry_s:
            raise ValueError(
                f"processed_retention_days ({self.processed_retention_days:g}) must be longer "
                f"than session_expiry_s ({self.session_expiry_s} s): the broker may re-deliver "
                "that late"
            )
        if self.processed_retention_days * 86400 <= self.stream_max_age_s:
            raise ValueError(
                f"processed_retention_days ({self.processed_retention_days:g}) must be longer "
                f"than stream_max_age_s ({self.stream_max_age_s:g} s): the stream may hand a message "
                "out again that late"
            )
        return self

    def with_overrides(self, **values) -> GatewaySettings:
        """A copy with command-line values applied and validated (UserError when one is bad)."""
        try:
            return type(self).model_validate({**self.model_dump(), **values})
        except ValidationError as exc:
            raise UserError(describe_validation_error(exc, "gateway settings")) from None
