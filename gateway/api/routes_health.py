"""GET /healthz, /readyz and /metrics of the portal/API process (gateway/observability.py).

No sign-in: load balancers, systemd and Prometheus call them. /metrics answers only clients in
`GatewaySettings.metrics_allow` (loopback by default) and 404 to everyone else; a reverse proxy in front
of the portal must not forward it (every request would come from the proxy's loopback address).
"""

from __future__ import annotations

import ipaddress

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from gateway.api.context import ApiContext, api_context
from gateway.observability import database_reachable, exposition

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(ctx: ApiContext = Depends(api_context)) -> JSONResponse:
    """The database answers: 200, else 503 with the reason."""
    ok, detail = await anyio.to_thread.run_sync(database_reachable, ctx.sessions)
    ctx.metrics.database_up.set(1 if ok else 0)
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": {"database": detail}},
        status_code=200 if ok else 503,
    )


def _allowed(host: str | None, networks: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n) for n in networks)


@router.get("/metrics")
def metrics(request: Request, ctx: ApiContext = Depends(api_context)) -> Response:
    if not _allowed(request.client.host if request.client else None, ctx.settings.metrics_allow):
        raise HTTPException(404, "Not Found")
    body, content_type = exposition(ctx.metrics.registry)
    return Response(body, media_type=content_type)
