"""The manufacturer exchange in the portal: download the dealer's file, upload one and read the report."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response

from dealer_portal.exchange import transfer
from dealer_portal.messages import N_
from dealer_portal.pages import page_router
from dealer_portal.pages.stock import dealers
from dealer_portal.web import Ctx, page, state
from dms.errors import UserError

router = page_router()
ExchangePage = Annotated[Ctx, Depends(page("exchange"))]


@router.get("/exchange", response_class=HTMLResponse)
def exchange_page(ctx: ExchangePage):
    return ctx.render("exchange.html", report=None, dealers=dealers(ctx))


@router.get("/exchange/export.json")
def exchange_export(ctx: ExchangePage, dealer: str = ""):
    document = transfer.export(ctx.db, ctx.actor, ctx.now, dealer or None)
    name = f"exchange-{document['dealer_code']}-{ctx.now:%Y%m%d}.json"
    return Response(
        transfer.dumps(document),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/exchange/import", response_class=HTMLResponse)
async def exchange_import(
    ctx: ExchangePage,
    file: Annotated[UploadFile | None, File()] = None,
    dealer_code: Annotated[str, Form()] = "",
):
    data = await file.read() if file is not None else b""
    if len(data) > state(ctx.request).settings.max_upload_mb * 1024 * 1024:
        raise UserError(N_("the file is larger than uploads may be"))
    report = transfer.import_file(ctx.db, ctx.actor, transfer.read(data), ctx.now, dealer_code or None)
    ctx.db.commit()
    return ctx.render("exchange.html", report=report, dealers=dealers(ctx))
