"""The FastAPI application: partners' HTTP API and the web pages."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI

from projections.runtime import ProjectorStatus
from services.bootstrap import Platform
from services.intake import web
from services.intake.routers import health, sharing
from services.mappa import api as mappa_api
from services.marac import api as marac_api
from services.matac import api as matac_api


def create_app(
    platform: Platform, projector_statuses: Mapping[str, ProjectorStatus] | None = None
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
    app.include_router(health.router)
    app.include_router(sharing.router)
    app.include_router(marac_api.router)
    app.include_router(mappa_api.router)
    app.include_router(matac_api.router)
    web.mount(app)  # the web pages, and GOV.UK Frontend's assets at /assets
    return app
