"""Names of the MAPPA event types.

The fields each event carries are documented in ``services.mappa.domain.nominal``, which
is the one place that reads them.
"""

NOMINAL_REGISTERED = "MappaNominalRegistered"
CATEGORY_ASSIGNED = "MappaCategoryAssigned"
LEVEL_SET = "MappaLevelSet"
REVIEW_HELD = "MappaReviewHeld"
LEAD_AGENCY_CHANGED = "MappaLeadAgencyChanged"
TRANSFERRED = "MappaTransferred"
MANAGEMENT_ENDED = "MappaManagementEnded"

ALL_EVENT_TYPES: tuple[str, ...] = (
    NOMINAL_REGISTERED,
    CATEGORY_ASSIGNED,
    LEVEL_SET,
    REVIEW_HELD,
    LEAD_AGENCY_CHANGED,
    TRANSFERRED,
    MANAGEMENT_ENDED,
)

TRANSFER_IN = "in"
TRANSFER_OUT = "out"
