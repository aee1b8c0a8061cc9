"""Imports every read-model module so their tables are registered on the shared metadata."""

from projections import mappa, marac, matac, sharing, tracking  # noqa: F401
from services.kernel import references, store  # noqa: F401  (the store's own branch)
