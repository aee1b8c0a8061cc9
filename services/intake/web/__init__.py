"""Tandem's web pages: GOV.UK Design System pages on the same FastAPI app as the API.

``mount(app)`` adds the page routes, GOV.UK Frontend's assets at ``/assets`` and the state
the pages share. Pages call the same service functions as the API routes, with the signed-in
user as the ``Caller``, so what each page shows is decided by the same agreement.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.web.assets import asset_files
from services.intake.web.core import WebState


def mount(app: FastAPI) -> None:
    from services.intake.routers import health, sharing
    from services.intake.web import (
        routes_auth,
        routes_mappa,
        routes_marac,
        routes_matac,
        routes_referrals,
        routes_search,
    )

    files, found = asset_files()
    app.state.web = WebState(app.state.platform, assets_available=found)
    app.mount("/assets", files, name="assets")
    app.include_router(routes_auth.router)
    app.include_router(routes_referrals.router)
    app.include_router(routes_marac.router)
    app.include_router(routes_matac.router)
    app.include_router(routes_mappa.router)
    app.include_router(routes_search.router)
    app.include_router(health.pages)
    app.include_router(sharing.pages)
