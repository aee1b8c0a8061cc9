"""The subject register: who recorded data about whom, for which purpose, first and last."""

import datetime as dt

import sqlalchemy

from services.sharing.subjects import SubjectRegister
from services.sharing.vault_tables import vault_metadata

D = dt.date


def register(tmp_path) -> SubjectRegister:
    engine = sqlalchemy.create_engine("sqlite:///" + str(tmp_path / "vault.db"))
    vault_metadata.create_all(engine)
    return SubjectRegister(engine)


def test_the_first_and_last_day_are_kept_per_agency_and_purpose(tmp_path):
    subjects = register(tmp_path)
    subjects.note([("p-1", "idva-oxon", "marac", D(2026, 1, 5))])
    subjects.note(
        [("p-1", "idva-oxon", "marac", D(2026, 3, 1)), ("p-1", "tvp", "matac", D(2026, 2, 1))]
    )
    subjects.note([("p-1", "idva-oxon", "marac", D(2026, 2, 1))])  # earlier: no change
    sources = {(s.agency, s.purpose): s for s in subjects.sources("p-1")}
    assert (
        sources["idva-oxon", "marac"].first_recorded_on,
        sources["idva-oxon", "marac"].last_recorded_on,
    ) == (
        D(2026, 1, 5),
        D(2026, 3, 1),
    )
    assert subjects.agencies("p-1") == {"idva-oxon", "tvp"}
    assert subjects.agencies("p-2") == set()
    assert subjects.last_activity() == [
        ("p-1", "marac", D(2026, 3, 1)),
        ("p-1", "matac", D(2026, 2, 1)),
    ]


def test_a_large_batch_is_recorded_in_chunks(tmp_path):
    subjects = register(tmp_path)
    subjects.note([(f"p-{i}", "tvp", "matac", D(2026, 1, 1)) for i in range(2_500)])
    assert len(subjects.last_activity()) == 2_500


def test_each_events_origin_is_kept_once_and_read_in_batches(tmp_path):
    subjects = register(tmp_path)
    subjects.note_origins([("e-1", "idva-oxon"), ("e-2", "housing-oxford")])
    subjects.note_origins([("e-1", "idva-oxon")])  # a retried publish: kept once
    assert subjects.origins(["e-1", "e-2", "e-3"]) == {"e-1": "idva-oxon", "e-2": "housing-oxford"}
    fresh = SubjectRegister(subjects._engine)  # another process reads what this one wrote
    assert fresh.origin("e-2") == "housing-oxford"
    assert fresh.origin("e-3") is None
