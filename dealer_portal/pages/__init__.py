"""The portal's pages, one router per area; every router checks CSRF on POST and uses PageRoute."""

from fastapi import APIRouter, Depends

from dealer_portal.web import PageRoute, csrf_guard


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_guard)], include_in_schema=False)
