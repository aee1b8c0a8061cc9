"""FastAPI dependencies shared by every router, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Connection

from services.bootstrap import Platform
from services.intake.auth import current_caller
from services.intake.errors import refused
from services.kernel.commands import IdempotencyKey


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_connection(platform: PlatformDep) -> Iterator[Connection]:
    """A read-only connection to the read models for one request."""
    with platform.engine.connect() as conn:
        yield conn


Db = Annotated[Connection, Depends(get_connection)]


_KEY_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:")


async def get_idempotency_key(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description=(
                "Any unique string (a UUID is ideal). A retry with the same key and body gets "
                "the first answer back and records nothing new; the same key with a different "
                "body is refused (422)."
            ),
            examples=["5f0c7f4e-3d9b-4e8e-9a61-7a4d2f1c0b6e"],
        ),
    ] = None,
) -> IdempotencyKey | None:
    """The client's Idempotency-Key, scoped to the caller, with a hash of the request."""
    if idempotency_key is None:
        return None
    if not 1 <= len(idempotency_key) <= 200 or not set(idempotency_key) <= _KEY_CHARACTERS:
        raise refused(
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 200 letters, digits or - _ . :",
            where="header",
        )
    caller = current_caller(request)
    return IdempotencyKey.of(
        f"{caller.agency}|{caller.user}",
        idempotency_key,
        request.method,
        request.url.path,
        await request.body(),
    )


Idempotency = Annotated[IdempotencyKey | None, Depends(get_idempotency_key)]
