"""FastAPI dependencies shared by every router, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from services.bootstrap import Platform


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_connection(platform: PlatformDep) -> Iterator[Connection]:
    """A read-only connection to the read models for one request."""
    with platform.engine.connect() as conn:
        yield conn


Db = Annotated[Connection, Depends(get_connection)]
