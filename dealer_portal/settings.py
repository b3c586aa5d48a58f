"""Settings of the web portal (the gateway's API settings are nested: both run in one app)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator

from dealer_portal.notify.settings import NotifySettings
from dms.settings import Settings
from gateway.settings import GatewaySettings

TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")
EventType = Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]


class MapSettings(Settings):
    """The base map of the fleet board and the vehicle page's route (Leaflet, vendored in /static)."""

    tile_url: str | None = Field(None, min_length=12, max_length=300, pattern=r"^https?://[^\s\"'<>\\]+$")
    """Tile URL template with {z}, {x}, {y} (and optionally {s}), e.g. http://tiles.example:8081/{z}/{x}/{y}.png.
    None (the default) draws the offline map only. When the tile server does not answer, the browser falls
    back to the offline drawing by itself."""
    attribution: str = Field("", max_length=300)
    """Credit shown in the map's corner (plain text, e.g. "© OpenStreetMap contributors")."""
    subdomains: str = Field("abc", pattern=r"^[a-z0-9]{1,10}$")
    """Letters or digits that {s} takes in turn."""
    max_zoom: int = Field(18, ge=1, le=22)
    """Deepest zoom level the tile server has."""
    fallback_after_s: float = Field(6.0, gt=0, le=60)
    """If no tile has loaded this long after the map starts, the offline drawing is shown instead."""
    retry_after_s: float = Field(15.0, gt=0, le=3600)
    """While the offline drawing stands in, the browser asks the tile server for one tile this often; once
    it answers, the tiled map comes back without reloading the page."""

    @field_validator("tile_url")
    @classmethod
    def _placeholders(cls, value: str | None) -> str | None:
        if value is not None and not all(p in value for p in TILE_PLACEHOLDERS):
            raise ValueError("a tile URL template needs {z}, {x} and {y}")
        return value

    @property
    def tile_origin(self) -> str | None:
        """The tile server's origin for the Content-Security-Policy ({s}. becomes a wildcard host)."""
        if not self.tile_url:
            return None
        scheme, rest = self.tile_url.split("://", 1)
        host = rest.split("/", 1)[0].replace("{s}", "*")
        return f"{scheme}://{host}"


class FatigueSettings(Settings):
    """Fatigue-aware dispatch: booking a driver whose recent drives raised fatigue episodes warns the
    dispatcher, who books a rested driver or overrides with a reason (kept in the audit log)."""

    window_h: float = Field(24.0, gt=0, le=24 * 14)
    """How far back from the booking's time a driver's fatigue episodes count."""
    severe_types: tuple[EventType, ...] = Field(("microsleep", "sleep"), min_length=1, max_length=10)
    """Episode types of which `severe_max` + 1 in the window warn."""
    severe_max: int = Field(0, ge=0, le=100)
    """Severe episodes a driver may have had in the window without a warning (0: any one warns)."""
    drowsy_types: tuple[EventType, ...] = Field(("drowsiness",), max_length=10)
    """Milder episode types, counted on their own."""
    drowsy_max: int = Field(2, ge=0, le=100)
    """Milder episodes a driver may have had in the window without a warning."""
    suggestions: int = Field(3, ge=0, le=20)
    """How many rested drivers the warning names."""
    suggest_from_days: int = Field(30, ge=1, le=365)
    """Rested drivers are suggested among those booked in this many days before now."""


class PortalSettings(Settings):
    gateway: GatewaySettings = GatewaySettings()
    """Settings of the gateway's REST API and projections, served by the same process under /api."""
    session_secret: str | None = Field(None, min_length=16, repr=False)
    """Key that signs session cookies; None derives one from the gateway's token secret, so every portal
    process on the same database accepts the same cookies."""
    session_ttl_minutes: int = Field(10 * 60, ge=5, le=7 * 24 * 60)
    """A login lasts this long (a working day by default)."""
    reset_link_minutes: int = Field(60, ge=5, le=7 * 24 * 60)
    """A one-time password reset link works this long after it is sent (and once)."""
    secure_cookies: bool = False
    """Mark the session cookie Secure (set it when the portal is served over HTTPS)."""
    live_poll_s: float = Field(0.5, gt=0, le=30)
    """How often the fleet board's event stream looks at the change log."""
    stale_after_s: float = Field(120.0, gt=0, le=24 * 3600)
    """The fleet board shows a vehicle's speed, position and driver state as current only while the
    vehicle is online and the values are younger than this; older ones are marked stale, with their time."""
    max_upload_mb: int = Field(5, ge=1, le=100)
    """Largest vehicle document accepted."""
    discount_approval_pct: Decimal = Field(Decimal(3), ge=0, le=100, decimal_places=2)
    """A new-vehicle discount above this percentage of the price (vehicle and options) waits for an
    administrator's approval before the contract can be signed."""
    commission_pct: Decimal = Field(Decimal(1), ge=0, le=100, decimal_places=2)
    """A salesperson's commission: this percentage of the totals of the orders they delivered."""
    appraisal_approval_limit: Decimal = Field(Decimal(100_000), ge=0, le=10_000_000, decimal_places=2)
    """A used car bought from a private seller for more than this (in the portal's currency) waits for
    a sales manager's or an administrator's approval before it is bought."""
    map: MapSettings = MapSettings()
    """The base map (tiles) of the fleet board and the vehicle page."""
    fatigue: FatigueSettings = FatigueSettings()
    """When booking a driver warns about their recent fatigue episodes."""
    notify: NotifySettings = NotifySettings()
    """E-mail (SMTP) and webhook notifications: the delivery worker's settings."""
    default_time_zone: str = Field("UTC", min_length=1, max_length=64)
    """IANA zone in which users who have not chosen one see times (e.g. "Asia/Shanghai")."""
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    """ISO 4217 code of the amounts (prices, estimates, invoices), shown with the user's locale."""

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from dealer_portal.i18n import valid_zone

        if valid_zone(value) is None:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)")
        return value
