"""Which stream (topic) each event type travels on, and what its key is.

One topic per stream; the key is the aggregate id, so all events of one case, meeting,
perpetrator or nominal stay in order on one partition. Every stream has a dead-letter topic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    name: str
    event_types: tuple[str, ...]
    aggregate: str
    """What the key identifies: documentation for people reading topics."""


STREAMS: tuple[Stream, ...] = (
    Stream(
        "marac.cases",
        (
            "ReferralSubmitted",
            "RiskAssessed",
            "RepeatIncidentReported",
            "CaseListed",
            "ActionAssigned",
            "ActionCompleted",
            "ReferralWithdrawn",
            "ReferralCorrected",
        ),
        "case id",
    ),
    Stream("marac.meetings", ("MeetingScheduled", "AgendaPublished"), "meeting id"),
    Stream("police.incidents", ("IncidentRecorded",), "suspect person id"),
    Stream(
        "matac.perpetrators",
        ("PerpetratorStatusChanged", "MatacNominated", "CohortJoined", "CohortLeft"),
        "perpetrator person id",
    ),
    Stream(
        "mappa.nominals",
        (
            "MappaNominalRegistered",
            "MappaCategoryAssigned",
            "MappaLevelSet",
            "MappaReviewHeld",
            "MappaLeadAgencyChanged",
            "MappaTransferred",
            "MappaManagementEnded",
        ),
        "nominal id",
    ),
    Stream("persons", ("PersonIndexed", "PersonMatchProposed", "PersonMatchDecided"), "person id"),
    Stream("sharing.erasures", ("SubjectErased",), "data subject id"),
    Stream("audit.access", ("DataAccessed",), "data subject id"),
    Stream("audit.security", ("SignInLockedOut",), "account name or client address"),
)

DEAD_LETTER_SUFFIX = ".dlq"

_STREAM_OF: dict[str, Stream] = {t: s for s in STREAMS for t in s.event_types}


class UnknownEventType(KeyError):
    pass


def stream_for(event_type: str) -> Stream:
    try:
        return _STREAM_OF[event_type]
    except KeyError:
        raise UnknownEventType(f"event type {event_type!r} belongs to no stream") from None


class TopicNames:
    """Topic names under a prefix, so several deployments (or test runs) can share a cluster."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def topic(self, stream: str) -> str:
        return f"{self.prefix}.{stream}"

    def dead_letter(self, stream: str) -> str:
        return self.topic(stream) + DEAD_LETTER_SUFFIX

    def for_event(self, event_type: str) -> str:
        return self.topic(stream_for(event_type).name)

    def stream_of_topic(self, topic: str) -> str:
        name = topic.removeprefix(self.prefix + ".")
        return name.removesuffix(DEAD_LETTER_SUFFIX)

    def all_topics(self) -> list[str]:
        return [t for s in STREAMS for t in (self.topic(s.name), self.dead_letter(s.name))]
