"""A tiny map-tile server on loopback for the portal's base-map tests: every /{z}/{x}/{y}.png answers
the same generated PNG, and the server remembers which tiles were asked for."""

from __future__ import annotations

import re
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def png(width: int = 256, height: int = 256, rgb: tuple[int, int, int] = (200, 230, 201)) -> bytes:
    """A plain-colour RGB PNG, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class TileServer:
    """Serves tiles on 127.0.0.1:`port` between start() and stop() (restartable on the same port)."""

    def __init__(self, port: int):
        self.port = port
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._tile = png()

    @property
    def url_template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    def start(self) -> None:
        tiles = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if server is not tiles._server:  # stopped: a connection the browser opened before
                    self.close_connection = True  # stop() (a preconnect) gets no answer either
                    return
                tiles.requests.append(self.path)
                if not TILE_PATH.match(self.path):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tiles._tile)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                try:
                    self.wfile.write(tiles._tile)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the map moved on and dropped this tile

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
