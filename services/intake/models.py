"""Response models shared by the routers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ProtectedText(BaseModel):
    """A sensitive field as the caller may see it: shown, or withheld/erased with the reason."""

    status: Literal["shown", "withheld", "erased"]
    data_class: str = Field(description="the ISA data class of the field, e.g. victim.health")
    value: str | None = Field(None, description="present only when shown")
    reason: str | None = Field(
        None, description="why it is withheld (naming the agreement) or that it was erased"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"status": "shown", "data_class": "victim.contact", "value": "07700 900123"},
                {
                    "status": "withheld",
                    "data_class": "victim.health",
                    "reason": "withheld under thames-valley-da-isa v2: housing-oxford may not "
                    "read victim.health for marac",
                },
            ]
        }
    }


class Problem(BaseModel):
    """An error: what is wrong, naming the field or rule."""

    detail: str | list
