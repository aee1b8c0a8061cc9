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


class PublishingHealth(BaseModel):
    status: Literal["ok", "delayed", "external"] = Field(
        description="delayed: accepted events are stored but not yet on Kafka (nothing is "
        "lost); external: no relay runs in this process"
    )
    backlog: int = Field(description="accepted events not yet published")
    message: str | None = None
    repairs: int | None = Field(None, description="times the relay re-published lost events")
    last_error: str | None = None


class ServiceHealth(BaseModel):
    status: str = Field(
        description="running, retrying, starting, stopped, external, or diverged (the topic "
        "lost events this service applied: see last_error and run `tandem reconcile`)"
    )
    lag: int | None = Field(description="events on the service's topics not yet applied")
    lag_by_topic: dict[str, int]
    applied: int | None = None
    dead_lettered: int | None = None
    last_error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    broker: BrokerHealth
    publishing: PublishingHealth
    services: dict[str, ServiceHealth]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "ok",
                    "broker": {"bootstrap": "127.0.0.1:19092", "status": "ok"},
                    "publishing": {"status": "ok", "backlog": 0, "repairs": 0},
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
    state = request.app.state
    report = health_report(state.platform, state.projector_statuses, state.relay_status)
    if report["status"] != "ok":
        response.status_code = 503
    return Health.model_validate(report)
