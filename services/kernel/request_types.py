"""Field types for request models that must not be guessed at: dates are written-out dates.

Pydantic's lax date parsing takes numbers and numeric strings as Unix timestamps (``0`` and
``"0"`` are 1 January 1970), and ``fromisoformat`` takes ``20260101`` and week dates; a date in
a request is a calendar date, ``YYYY-MM-DD``. Shared by every service's request models.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict
from pydantic_core import PydanticCustomError

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value: Any) -> dt.date:
    """Accept a date only as an ISO ``YYYY-MM-DD`` string (JSON, query) or a ``date`` (Python)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError as exc:  # e.g. 2026-02-30
                raise PydanticCustomError(
                    "date_parsing", "Input should be a valid date: {problem}", {"problem": str(exc)}
                ) from None
        raise PydanticCustomError(
            "date_parsing", "Input should be a valid date in the format YYYY-MM-DD"
        )
    raise PydanticCustomError(
        "date_type", "Input should be a date as a string in the format YYYY-MM-DD"
    )


IsoDate = Annotated[dt.date, Strict(), BeforeValidator(iso_date)]
"""A request date: an ISO ``YYYY-MM-DD`` string, never a number, a boolean or a datetime."""
