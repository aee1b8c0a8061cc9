"""``GET /health``: is the broker up, is every service running, how far behind is each."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from services.health import health_report

router = APIRouter(tags=["health"])


class BrokerHealth(BaseModel):
    bootstrap: str
    status: Literal["ok", "down"]
    error: str | None = None


class ServiceHealth(BaseModel):
    status: str = Field(description="running, retrying, starting, stopped, or external")
    lag: int | None = Field(description="events on the service's topics not yet applied")
    lag_by_topic: dict[str, int]
    applied: int | None = None
    dead_lettered: int | None = None
    last_error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    broker: BrokerHealth
    services: dict[str, ServiceHealth]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "ok",
                    "broker": {"bootstrap": "127.0.0.1:19092", "status": "ok"},
                    "services": {
                        "marac": {
                            "status": "running",
                            "lag": 0,
                            "lag_by_topic": {"tandem.marac.cases": 0},
                            "applied": 42,
                            "dead_lettered": 0,
                        }
                    },
                }
            ]
        }
    }


@router.get(
    "/health",
    response_model=Health,
    summary="Service status and consumer lag",
    responses={503: {"model": Health, "description": "the broker or a service is not running"}},
)
def get_health(request: Request, response: Response) -> Health:
    report = health_report(request.app.state.platform, request.app.state.projector_statuses)
    if report["status"] != "ok":
        response.status_code = 503
    return Health.model_validate(report)
