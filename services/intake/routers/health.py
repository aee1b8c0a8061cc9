"""``GET /health`` and the ``/status`` page: is Tandem up, and how far behind is each service.

Anyone may ask whether Tandem is up (load balancers, the page footer); only a signed-in caller
learns the broker's address, topic names and errors, which help an attacker map the system.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from services.health import health_report
from services.intake.auth import OptionalCaller
from services.intake.web.core import render

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


class ServiceSummary(BaseModel):
    status: str = Field(description="as in the full report")
    lag: int | None = Field(description="events not yet applied")


class PublishingSummary(BaseModel):
    status: Literal["ok", "delayed", "external"]
    backlog: int


class HealthSummary(BaseModel):
    """What anyone may see: whether Tandem is up, without addresses, topics or errors."""

    status: Literal["ok", "degraded"]
    publishing: PublishingSummary
    services: dict[str, ServiceSummary]
    detail: str = "send a bearer token for the broker, topics and errors"

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "ok",
                    "publishing": {"status": "ok", "backlog": 0},
                    "services": {"marac": {"status": "running", "lag": 0}},
                    "detail": "send a bearer token for the broker, topics and errors",
                }
            ]
        }
    }


def summary_of(report: dict) -> HealthSummary:
    return HealthSummary(
        status=report["status"],
        publishing=PublishingSummary(**{k: report["publishing"][k] for k in ("status", "backlog")}),
        services={
            name: ServiceSummary(status=entry["status"], lag=entry["lag"])
            for name, entry in report["services"].items()
        },
    )


def current_report(request: Request) -> dict:
    state = request.app.state
    return health_report(state.platform, state.projector_statuses, state.relay_status)


@router.get(
    "/health",
    response_model=Health | HealthSummary,
    summary="Service status and consumer lag",
    description="Without a token: overall status, publishing backlog and each service's status "
    "and lag. With any valid bearer token: the full report (broker address, lag per topic, "
    "errors). 503 when the broker or a service is not running.",
    responses={
        503: {
            "model": Health | HealthSummary,
            "description": "the broker or a service is not running",
        }
    },
)
def get_health(request: Request, response: Response, caller: OptionalCaller):
    report = current_report(request)
    if report["status"] != "ok":
        response.status_code = 503
    if caller is None:
        return summary_of(report)
    return Health.model_validate(report)


# -- the readable status page (the footer's "Service status") -------------------------------

pages = APIRouter(include_in_schema=False)

SERVICE_NAMES = {
    "marac": "MARAC meetings, agendas and actions",
    "matac": "MATAC rankings and cohort",
    "mappa": "MAPPA nominal records and reviews",
    "sharing": "Person matching, erasure and the access trail",
}
STATE_WORDS = {
    "running": "Working",
    "starting": "Starting",
    "retrying": "Retrying after a problem",
    "stopped": "Stopped",
    "external": "Run elsewhere",
    "diverged": "Stopped: the event log needs repair",
}


@pages.get("/status")
def status_page(request: Request):
    summary = summary_of(current_report(request))
    rows = [
        {
            "name": SERVICE_NAMES.get(name, name),
            "state": STATE_WORDS.get(entry.status, entry.status),
            "ok": entry.status in ("running", "external"),
            "behind": entry.lag or 0,
        }
        for name, entry in summary.services.items()
    ]
    return render(
        request,
        "status.html",
        {"summary": summary, "rows": rows},
        status_code=200 if summary.status == "ok" else 503,
    )
