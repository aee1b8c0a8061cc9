"""The FastAPI application: partners' HTTP API and the web pages."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from projections.runtime import ProjectorStatus
from services.bootstrap import Platform
from services.intake import web
from services.intake.routers import health, sharing
from services.kernel.commands import AlreadyAnswered, IdempotencyConflict
from services.kernel.relay import RelayStatus
from services.mappa import api as mappa_api
from services.marac import api as marac_api
from services.matac import api as matac_api


def create_app(
    platform: Platform,
    projector_statuses: Mapping[str, ProjectorStatus] | None = None,
    relay: RelayStatus | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Tandem",
        version="0.1.0",
        summary="Multi-agency domestic abuse case sharing: MARAC, MATAC and MAPPA.",
        description=(
            "Partners publish referrals, incidents and decisions as events; the MARAC, MATAC "
            "and MAPPA services build read models from them. Every `/api/` route needs a "
            "bearer token; sensitive fields are decrypted per caller under the information "
            "sharing agreement in force."
        ),
    )
    app.state.platform = platform
    app.state.projector_statuses = projector_statuses or {}
    app.state.relay_status = relay
    app.include_router(health.router)
    app.include_router(sharing.router)
    app.include_router(marac_api.router)
    app.include_router(mappa_api.router)
    app.include_router(matac_api.router)
    web.mount(app)  # the web pages, and GOV.UK Frontend's assets at /assets
    _handle_command_outcomes(app)
    return app


STORE_RETRY_AFTER_SECONDS = 5


def _handle_command_outcomes(app: FastAPI) -> None:
    """Answers that come from the unit of work rather than from a route."""

    @app.exception_handler(AlreadyAnswered)
    async def replayed(_request: Request, exc: AlreadyAnswered) -> JSONResponse:
        return JSONResponse(exc.body, exc.status_code, headers={"Idempotent-Replayed": "true"})

    @app.exception_handler(IdempotencyConflict)
    async def conflict(_request: Request, exc: IdempotencyConflict) -> JSONResponse:
        detail = [{"loc": ["header", "Idempotency-Key"], "msg": str(exc), "type": "value_error"}]
        return JSONResponse({"detail": detail}, 422)

    async def store_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # The database holds the event store: without it nothing can be recorded, so say so
        # (and when to retry) instead of a bare 500. The transaction rolled back.
        return JSONResponse(
            {
                "detail": "the event store (database) is unavailable; nothing was recorded, "
                "please retry",
                "reason": exc.__class__.__name__,
                "retry_after_seconds": STORE_RETRY_AFTER_SECONDS,
            },
            503,
            headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
        )

    for error in (OperationalError, InterfaceError, DisconnectionError):
        app.add_exception_handler(error, store_unavailable)
