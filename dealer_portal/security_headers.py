"""Response headers that keep the portal's pages to itself: no framing (clickjacking), no script but
its own files, nothing of an authenticated page kept in a cache (Back after logout showed the fleet).

A plain ASGI middleware: it only adds headers to `http.response.start`, so the event stream (SSE)
passes through unbuffered.
"""

from __future__ import annotations

# Inline style attributes are used by the templates; scripts are only /static files.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def csp(image_origins: tuple[str, ...] = ()) -> str:
    """The policy, with images also allowed from these origins (the base map's tile server)."""
    extra = "".join(f" {o}" for o in image_origins)
    return CSP.replace("img-src 'self' data:;", f"img-src 'self' data:{extra};")


# The API's interactive docs (Swagger UI, ReDoc: files of this server) start with an inline script.
NO_CSP_PATHS = ("/api/docs", "/api/redoc")
# Files that are the same for everyone (the portal's and the API docs' scripts and styles).
CACHEABLE_PATHS = ("/static/", "/api/docs/static/")


class SecurityHeaders:
    def __init__(self, app, image_origins: tuple[str, ...] = ()):
        self.app = app
        self.csp = csp(image_origins).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        extra = [
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if not path.startswith(NO_CSP_PATHS):
            extra.append((b"content-security-policy", self.csp))
        if not path.startswith(CACHEABLE_PATHS):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *((n, v) for n, v in extra if n not in present)],
                }
            await send(message)

        return await self.app(scope, receive, send_with_headers)
