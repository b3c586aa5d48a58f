"""An MQTT broker inside this process, for the demo and for tests that need no installed broker.

amqtt serves MQTT 3.1.1 only (it refuses MQTT 5 connections), so clients must fall back to 3.1.1 —
the uplink and the gateway both do.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

from dms.errors import UserError

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class EmbeddedBroker:
    """amqtt running on its own event loop in a daemon thread. Use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or free_port(host)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> EmbeddedBroker:
        try:
            from amqtt.broker import Broker
        except ImportError:
            raise UserError(
                "the embedded MQTT broker needs the 'amqtt' package",
                hint="pip install 'dms-fleet[demo]', or pass --mqtt URL of a running broker",
            ) from None
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        # amqtt logs every connection at INFO and tracebacks of clients that drop at WARNING.
        logging.getLogger("amqtt").setLevel(logging.ERROR)
        logging.getLogger("transitions").setLevel(logging.ERROR)

        def serve():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            # amqtt lets a refused MQTT 5 CONNECT (clients probing before falling back to 3.1.1) escape
            # as an unhandled task error; it is expected here, so keep it out of the user's terminal.
            self._loop.set_exception_handler(
                lambda loop, context: log.debug("broker: %s", context.get("message"))
            )
            try:
                self._broker = Broker(config, loop=self._loop)
                self._loop.run_until_complete(self._broker.start())
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="embedded-mqtt-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise UserError(f"the embedded MQTT broker did not start within {timeout:.0f} s")
        if self._error is not None:
            raise UserError(
                f"the embedded MQTT broker could not listen on {self.host}:{self.port}: {self._error}"
            )
        log.info("embedded MQTT broker listening on %s", self.url)
        return self

    def stop(self) -> None:
        if self._loop is None or self._broker is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            future.result(timeout=10)
        except Exception:
            log.debug("broker shutdown raised", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(timeout=10)
        self._loop = self._broker = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
