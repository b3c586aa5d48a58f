"""POST /api/token: OAuth2 password flow -> bearer token."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from gateway.api.context import ApiContext, api_context, current_user, get_db
from gateway.api.schemas import MeOut, TokenOut
from gateway.auth import authenticate, issue_token
from gateway.db.models import User

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/token", response_model=TokenOut)
def token(
    request: Request,
    form: OAuth2PasswordRequestForm = Depends(),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    keys = ctx.sign_ins.keys(request.client.host if request.client else None, form.username)
    wait = ctx.sign_ins.retry_after(keys)
    if wait is not None:  # before the password hash: that is what an attacker would make us spend
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed sign-ins; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    secret = ctx.secret()  # before the request's transaction: it may open its own
    user = authenticate(db, form.username, form.password)
    if user is None:
        ctx.sign_ins.failed(keys)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong user name or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    ttl = timedelta(minutes=ctx.settings.token_ttl_minutes)
    return {
        "access_token": issue_token(user, secret, now=ctx.clock(), ttl=ttl),
        "token_type": "bearer",
        "expires_in": int(ttl.total_seconds()),
    }


@router.get("/me", response_model=MeOut)
def me(user: User = Depends(current_user)) -> dict:
    return {"username": user.username, "role": user.role, "dealer_code": user.dealer_code}
