"""Tandem's web pages: GOV.UK Design System pages on the same FastAPI app as the API.

This package is the shared chrome only (layout, sign-in, CSRF, errors, assets); each
service keeps its own pages beside its API (``services/<service>/pages.py`` and
``templates/``). ``mount(app, pages)`` adds the sign-in routes, the services' page routers
the composition root passes in, GOV.UK Frontend's assets at ``/assets`` and the state the
pages share. Pages call the same service functions as the API routes, with the signed-in
user as the ``Caller``, so what each page shows is decided by the same agreement.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from services.intake.web.assets import asset_files
from services.intake.web.core import WebState


def mount(app: FastAPI, pages: Sequence[APIRouter]) -> None:
    from services.intake.routers import health, sharing
    from services.intake.web import routes_auth

    files, found = asset_files()
    app.state.web = WebState(app.state.platform, assets_available=found)
    app.mount("/assets", files, name="assets")
    app.include_router(routes_auth.router)
    for router in pages:
        app.include_router(router)
    app.include_router(health.pages)
    app.include_router(sharing.pages)
