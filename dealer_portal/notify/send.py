"""The two ways a notification leaves: an e-mail through the configured SMTP server, and an HTTP POST
of a JSON document to a webhook, signed with HMAC-SHA256 when the rule has a secret
(`X-DMS-Signature: sha256=<hex of HMAC(secret, body)>`). Each raises `DeliveryFailed` with one line."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import smtplib
import socket
import ssl
from email.message import EmailMessage
from urllib.parse import urlsplit

from dealer_portal.notify.settings import NotifySettings

SIGNATURE_HEADER = "X-DMS-Signature"


class DeliveryFailed(Exception):
    """This attempt did not deliver (the worker retries with backoff)."""


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def send_email(settings: NotifySettings, to: str, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.mail_from, to, subject
    message.set_content(text)
    try:
        if settings.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.send_timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.send_timeout_s)
        with smtp:
            if settings.smtp_tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(
            f"mail server {settings.smtp_host}:{settings.smtp_port}: {_one_line(exc)}"
        ) from None


def send_webhook(
    settings: NotifySettings, url: str, body: bytes, *, secret: str | None, event: str, delivery_id: int
) -> None:
    """POST `body` to `url`; any answer but 2xx is a failure (redirects are not followed)."""
    parts = urlsplit(url)
    if not settings.webhook_allow_private:
        _refuse_private(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "dms-notify/1",
        "X-DMS-Event": event,
        "X-DMS-Delivery": str(delivery_id),
    }
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection = connection_class(parts.hostname, parts.port, timeout=settings.send_timeout_s)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(64 * 1024)
        finally:
            connection.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DeliveryFailed(f"{parts.hostname}: {_one_line(exc)}") from None
    if not 200 <= response.status < 300:
        raise DeliveryFailed(f"the receiver answered HTTP {response.status} {response.reason}")


def _refuse_private(host: str, port: int) -> None:
    """DeliveryFailed when `host` resolves to an address inside the operator's network. (Checked
    before connecting; a name that changes its answer between the two is not caught.)"""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise DeliveryFailed(f"{host}: {_one_line(exc)}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise DeliveryFailed(
                f"{host} is a private or local address ({address}); the operator allows webhooks only to "
                "public addresses (notify.webhook_allow_private)"
            )


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:500]
