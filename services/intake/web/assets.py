"""GOV.UK Frontend's built assets, served at ``/assets`` from ``node_modules``.

``scripts/install`` runs ``npm install``, which puts the ``govuk-frontend`` package in
``node_modules/`` (not committed). Without it the app still starts: pages are served
unstyled and the log says what to run.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from starlette.staticfiles import StaticFiles

from services.kernel.settings import PROJECT_ROOT

log = logging.getLogger("tandem.web")

OWN_STATIC = Path(__file__).resolve().parent / "static"


def govuk_frontend_dir() -> Path:
    """Where the built GOV.UK Frontend is: ``TANDEM_GOVUK_FRONTEND_DIR`` or node_modules."""
    configured = os.environ.get("TANDEM_GOVUK_FRONTEND_DIR")
    if configured:
        return Path(configured)
    return PROJECT_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


class AssetFiles(StaticFiles):
    """Static files looked up in several folders in turn: Tandem's own, then GOV.UK's."""

    def __init__(self, directories: list[Path]):
        super().__init__(directory=directories[0])
        self.all_directories = [str(d) for d in directories]


def asset_files() -> tuple[AssetFiles, bool]:
    """The ``/assets`` app, and whether GOV.UK Frontend was found."""
    govuk = govuk_frontend_dir()
    found = (govuk / "govuk-frontend.min.css").is_file()
    directories = [OWN_STATIC]
    if found:
        # /assets/govuk-frontend.min.css and /assets/fonts/..., /assets/images/... as the
        # stylesheet expects (its asset path is /assets).
        directories += [govuk / "assets", govuk]
    else:
        log.warning(
            "GOV.UK Frontend not found at %s: the web pages will be unstyled. "
            "Run scripts/install (or `npm install` in %s) to fetch it.",
            govuk,
            PROJECT_ROOT,
        )
    return AssetFiles(directories), found
