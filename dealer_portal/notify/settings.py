"""Settings of the notification worker: the SMTP server, webhook timeouts, retries and backoff."""

from __future__ import annotations

from pydantic import Field

from dms.settings import Settings


class NotifySettings(Settings):
    enabled: bool = True
    """Run the delivery worker beside the portal (`dms portal run`); `dms portal notify` runs it alone."""
    smtp_host: str = Field("127.0.0.1", min_length=1, max_length=255)
    """The mail server e-mail notifications go through."""
    smtp_port: int = Field(25, ge=1, le=65535)
    """Its port (25, or 587 with STARTTLS, 465 with implicit TLS)."""
    smtp_tls: str = Field("none", pattern="^(none|starttls|ssl)$")
    """Transport security: none, starttls (upgrade the connection) or ssl (TLS from the start)."""
    smtp_username: str | None = Field(None, min_length=1, max_length=255)
    """Log in to the mail server as this user (None: no login)."""
    smtp_password: str | None = Field(None, min_length=1, max_length=255, repr=False)
    """Its password."""
    mail_from: str = Field("dms-backoffice@localhost", min_length=3, max_length=255)
    """The sender address of notification e-mails."""
    send_timeout_s: float = Field(10.0, gt=0, le=120)
    """Longest wait for the mail server or a webhook receiver, per attempt."""
    max_attempts: int = Field(6, ge=1, le=50)
    """A delivery is given up ('failed') after this many attempts."""
    backoff_base_s: float = Field(30.0, ge=0, le=3600)
    """Wait after the first failed attempt; doubled after each further one."""
    backoff_max_s: float = Field(3600.0, ge=0, le=7 * 24 * 3600)
    """Longest wait between two attempts."""
    webhook_allow_private: bool = False
    """Let webhooks go to loopback, private, link-local or reserved addresses. Off: any user with
    notifications could otherwise make the server POST into the operator's own network."""
    poll_s: float = Field(2.0, gt=0, le=300)
    """How often the worker looks for new events and due deliveries."""
    batch_size: int = Field(100, ge=1, le=10_000)
    """At most this many events and this many deliveries per pass."""
    catch_up_s: float = Field(600.0, ge=0, le=7 * 24 * 3600)
    """On its very first pass over a database, the worker notifies events of this recent past only."""
    portal_url: str = Field("", max_length=500)
    """The portal's address as users reach it (links in e-mails); empty: no links."""
