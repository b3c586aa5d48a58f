"""Settings of the web portal (the gateway's API settings are nested: both run in one app)."""

from __future__ import annotations

from pydantic import Field

from dealer_portal.notify.settings import NotifySettings
from dms.settings import Settings
from gateway.settings import GatewaySettings


class PortalSettings(Settings):
    gateway: GatewaySettings = GatewaySettings()
    """Settings of the gateway's REST API and projections, served by the same process under /api."""
    session_secret: str | None = Field(None, min_length=16, repr=False)
    """Key that signs session cookies; None derives one from the gateway's token secret, so every portal
    process on the same database accepts the same cookies."""
    session_ttl_minutes: int = Field(10 * 60, ge=5, le=7 * 24 * 60)
    """A login lasts this long (a working day by default)."""
    secure_cookies: bool = False
    """Mark the session cookie Secure (set it when the portal is served over HTTPS)."""
    live_poll_s: float = Field(0.5, gt=0, le=30)
    """How often the fleet board's event stream looks at the change log."""
    stale_after_s: float = Field(120.0, gt=0, le=24 * 3600)
    """The fleet board shows a vehicle's speed, position and driver state as current only while the
    vehicle is online and the values are younger than this; older ones are marked stale, with their time."""
    max_upload_mb: int = Field(5, ge=1, le=100)
    """Largest vehicle document accepted."""
    notify: NotifySettings = NotifySettings()
    """E-mail (SMTP) and webhook notifications: the delivery worker's settings."""
