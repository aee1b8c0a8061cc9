"""Refusals shaped like FastAPI's own validation errors, so clients handle one format."""

from __future__ import annotations

import re

from fastapi import HTTPException, status


def refused(field: str, message: str, where: str = "body") -> HTTPException:
    """A 422 naming the field, e.g. ``perpetrators[0].name`` -> loc ``body, perpetrators, 0,
    name``, as FastAPI reports a schema violation."""
    location: list[str | int] = [where, *[p for p in re.split(r"[.\[\]]+", field) if p]]
    location = [int(p) if isinstance(p, str) and p.isdigit() else p for p in location]
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": location, "msg": message, "type": "value_error"}],
    )
