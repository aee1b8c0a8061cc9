"""The FastAPI application: partners' HTTP API and the web pages."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from starlette.staticfiles import StaticFiles

from projections.runtime import ProjectorStatus
from services.bootstrap import Platform
from services.intake import api_examples, web
from services.intake.routers import health, sharing
from services.kernel.commands import AlreadyAnswered, IdempotencyConflict
from services.kernel.relay import RelayStatus
from services.kernel.settings import PROJECT_ROOT
from services.mappa import api as mappa_api
from services.mappa import pages as mappa_pages
from services.marac import api as marac_api
from services.marac import pages as marac_pages
from services.marac import referral_pages
from services.matac import api as matac_api
from services.matac import pages as matac_pages
from services.search import api as search_api
from services.search import pages as search_pages


def create_app(
    platform: Platform,
    projector_statuses: Mapping[str, ProjectorStatus] | None = None,
    relay: RelayStatus | None = None,
) -> FastAPI:
    app = FastAPI(
        docs_url=None,  # served below from local assets: no public CDN on this origin
        redoc_url=None,
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
    app.include_router(search_api.router)
    # the web pages: each service's own, on the shared chrome; GOV.UK Frontend at /assets
    web.mount(
        app,
        pages=[
            referral_pages.router,  # before marac_pages: /marac/referrals/new is not an id
            marac_pages.router,
            matac_pages.router,
            mappa_pages.router,
            search_pages.router,
        ],
    )
    _api_reference(app)
    _demo_examples(app, platform)
    _handle_command_outcomes(app)
    _validation_errors(app)
    _api_headers(app)
    return app


def _validation_errors(app: FastAPI) -> None:
    """422s name the field and the rule, but never echo what was sent.

    FastAPI's default puts each bad value back in ``input``: a victim's name or address sent
    with one wrong field would be copied into the answer (and into whatever logs it).
    """

    @app.exception_handler(RequestValidationError)
    async def unprocessable(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {key: value for key, value in error.items() if key not in ("input", "url")}
            for error in jsonable_encoder(exc.errors())
        ]
        return JSONResponse({"detail": errors}, 422)


DOCS_ASSETS = PROJECT_ROOT / "node_modules"


def _api_reference(app: FastAPI) -> None:
    """/docs and /redoc with Swagger UI and ReDoc from npm packages served here.

    FastAPI's defaults load them from a public CDN: blank offline, and third-party script on
    the same origin as the cookie-authenticated pages.
    """
    swagger = DOCS_ASSETS / "swagger-ui-dist"
    redoc = DOCS_ASSETS / "redoc" / "bundles"
    if swagger.is_dir():
        app.mount("/docs-assets/swagger", StaticFiles(directory=swagger), name="swagger-assets")
    if redoc.is_dir():
        app.mount("/docs-assets/redoc", StaticFiles(directory=redoc), name="redoc-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API reference",
            swagger_js_url="/docs-assets/swagger/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger/swagger-ui.css",
            swagger_favicon_url="/docs-assets/swagger/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc_page() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API reference",
            redoc_js_url="/docs-assets/redoc/redoc.standalone.js",
            with_google_fonts=False,
        )


def _demo_examples(app: FastAPI, platform: Platform) -> None:
    """On a demo stack, the reference's examples name the demo's records (see api_examples)."""
    generated = app.openapi

    def openapi() -> dict:
        spec = generated()
        ids = api_examples.demo_ids(platform.settings.data_dir)
        return api_examples.for_demo(spec, ids, platform.today()) if ids else spec

    app.openapi = openapi  # type: ignore[method-assign]


API_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""For HTML the API returns (the printable agenda): no script at all, never framed."""


def _api_headers(app: FastAPI) -> None:
    """API answers carry decrypted personal data: never cached, never sniffed or framed."""

    @app.middleware("http")
    async def no_store(request: Request, call_next):
        response = await call_next(request)
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Content-Type-Options"] = "nosniff"
            if response.headers.get("content-type", "").startswith("text/html"):
                response.headers["Content-Security-Policy"] = API_HTML_POLICY
                response.headers["X-Frame-Options"] = "DENY"
                response.headers["Referrer-Policy"] = "same-origin"
        return response


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
