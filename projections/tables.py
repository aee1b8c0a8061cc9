"""Imports every read-model module so their tables are registered on the shared metadata."""

from projections import mappa, marac, matac, sharing, tracking  # noqa: F401
from services.kernel import store  # noqa: F401  (the event store has its own branch)
