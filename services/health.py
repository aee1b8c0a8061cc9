"""Per-service status and consumer lag, for ``GET /health`` and ``tandem status``."""

from __future__ import annotations

from collections.abc import Mapping

from projections import tracking
from projections.runtime import ProjectorStatus
from services.bootstrap import Platform
from services.kernel import store
from services.kernel.bus import BrokerUnavailable, end_offsets
from services.kernel.relay import CURSOR as RELAY_CURSOR
from services.kernel.relay import RelayStatus


def lag_by_service(platform: Platform) -> dict[str, dict[str, int]]:
    """Records on each service's topics not yet applied to its read model, per topic."""
    result: dict[str, dict[str, int]] = {}
    with platform.engine.connect() as conn:
        for name, projection in platform.projections.items():
            topics = [platform.topics.topic(s) for s in projection.streams]
            ends = end_offsets(platform.bootstrap, topics)
            stored = tracking.load_offsets(conn, name)
            per_topic: dict[str, int] = {}
            for (topic, partition), end in ends.items():
                per_topic[topic] = per_topic.get(topic, 0) + max(
                    0, end - stored.get((topic, partition), 0)
                )
            result[name] = per_topic
    return result


def publishing_report(platform: Platform, relay: RelayStatus | None, broker_up: bool) -> dict:
    """The relay's backlog: events accepted and stored but not yet on Kafka."""
    with platform.engine.connect() as conn:
        backlog = store.backlog(conn, RELAY_CURSOR)
    if relay is None:
        state = "external"
    elif relay.state == "delayed" or (backlog and not broker_up):
        state = "delayed"
    else:
        state = "ok"
    report: dict = {"status": state, "backlog": backlog}
    if state == "delayed":
        report["message"] = (
            f"publishing delayed: {backlog} accepted event(s) are stored and will be published "
            "when the broker is back; nothing is lost"
        )
    if relay is not None:
        report["repairs"] = relay.repairs
        if relay.last_error:
            report["last_error"] = relay.last_error
    return report


def health_report(
    platform: Platform,
    statuses: Mapping[str, ProjectorStatus] | None = None,
    relay: RelayStatus | None = None,
) -> dict:
    """Overall ``ok`` only if the broker answers and every local projector is running."""
    services: dict[str, dict] = {}
    broker = {"bootstrap": platform.bootstrap, "status": "ok"}
    try:
        lags = lag_by_service(platform)
    except BrokerUnavailable as exc:
        broker = {"bootstrap": platform.bootstrap, "status": "down", "error": str(exc)}
        lags = {}
    for name in platform.projections:
        status = (statuses or {}).get(name)
        entry: dict = {
            "status": status.state if status else "external",
            "lag": sum(lags.get(name, {}).values()) if lags else None,
            "lag_by_topic": lags.get(name, {}),
        }
        if status:
            entry.update(applied=status.applied, dead_lettered=status.dead_lettered)
            if status.last_error:
                entry["last_error"] = status.last_error
        services[name] = entry
    publishing = publishing_report(platform, relay, broker["status"] == "ok")
    healthy = (
        broker["status"] == "ok"
        and publishing["status"] != "delayed"
        and all(s["status"] in ("running", "external") for s in services.values())
    )
    return {
        "status": "ok" if healthy else "degraded",
        "broker": broker,
        "publishing": publishing,
        "services": services,
    }
