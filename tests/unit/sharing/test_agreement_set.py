"""Which version of which agreement is in force on a day, and what that means for a read."""

from datetime import date

import pytest

from services.sharing.agreement_model import Agreement, AgreementSet, Party, PurposeTerms
from services.sharing.errors import AgreementError


def agreement(
    agreement_id: str,
    version: int,
    effective_from: date,
    effective_to: date | None = None,
    housing_reads: frozenset[str] = frozenset({"victim.address"}),
    purpose: str = "marac",
) -> Agreement:
    return Agreement(
        id=agreement_id,
        version=version,
        title=agreement_id,
        effective_from=effective_from,
        effective_to=effective_to,
        review_date=date(2030, 1, 1),
        classification="OFFICIAL-SENSITIVE",
        purposes={purpose: PurposeTerms(purpose, ("public task",), 72)},
        parties=(Party("housing-oxford", "Oxford housing", "housing", {purpose: housing_reads}),),
        source=f"{agreement_id}/v{version}.yaml",
    )


def test_the_highest_version_in_force_wins() -> None:
    agreements = AgreementSet(
        [
            agreement("isa", 1, date(2024, 1, 1)),
            agreement("isa", 3, date(2026, 1, 1)),
            agreement("isa", 2, date(2025, 1, 1)),
        ]
    )
    assert agreements.current("isa", date(2023, 12, 31)) is None
    assert agreements.current("isa", date(2024, 6, 1)).version == 1
    assert agreements.current("isa", date(2025, 6, 1)).version == 2
    assert agreements.current("isa", date(2026, 1, 1)).version == 3
    assert [a.version for a in agreements.versions("isa")] == [1, 2, 3]
    assert len(agreements) == 3


def test_a_version_past_its_end_date_falls_back_to_an_earlier_open_one() -> None:
    agreements = AgreementSet(
        [
            agreement("isa", 1, date(2024, 1, 1)),
            agreement("isa", 2, date(2025, 1, 1), effective_to=date(2025, 6, 30)),
        ]
    )
    assert agreements.current("isa", date(2025, 6, 30)).version == 2
    assert agreements.current("isa", date(2025, 7, 1)).version == 1


def test_in_force_gives_one_version_per_agreement() -> None:
    agreements = AgreementSet(
        [
            agreement("mappa-isa", 1, date(2024, 1, 1), purpose="mappa"),
            agreement("marac-isa", 1, date(2024, 1, 1)),
            agreement("marac-isa", 2, date(2024, 2, 1)),
        ]
    )
    assert [a.label for a in agreements.in_force(date(2024, 3, 1))] == [
        "mappa-isa v1",
        "marac-isa v2",
    ]
    assert agreements.ids == ["mappa-isa", "marac-isa"]


def test_duplicate_versions_are_refused() -> None:
    with pytest.raises(AgreementError, match=r"isa v1 is also defined in isa/v1\.yaml"):
        AgreementSet([agreement("isa", 1, date(2024, 1, 1)), agreement("isa", 1, date(2025, 1, 1))])


def test_decide_explains_both_answers() -> None:
    agreements = AgreementSet([agreement("isa", 1, date(2024, 1, 1))])
    on = date(2024, 5, 1)
    shown = agreements.decide("housing-oxford", "marac", "victim.address", on)
    assert (shown.allowed, shown.reason) == (True, "shared under isa v1")
    refused = agreements.decide("housing-oxford", "marac", "victim.health", on)
    assert (refused.allowed, refused.reason) == (
        False,
        "withheld under isa v1: housing-oxford may not read victim.health for marac",
    )
    stranger = agreements.decide("gym-oxford", "marac", "victim.address", on)
    assert stranger.reason == "withheld under isa v1: gym-oxford is not a party to the agreement"
    other_purpose = agreements.decide("housing-oxford", "mappa", "mappa.address_risk", on)
    assert other_purpose.reason == "withheld under isa v1: mappa is not a purpose of the agreement"


def test_nothing_is_shared_before_any_agreement() -> None:
    agreements = AgreementSet([agreement("isa", 1, date(2024, 1, 1))])
    decision = agreements.decide("housing-oxford", "marac", "victim.address", date(2023, 1, 1))
    assert decision.allowed is False
    assert decision.agreement is None
    assert decision.reason == "withheld: no information sharing agreement is in force on 2023-01-01"


def test_any_agreement_in_force_may_grant() -> None:
    agreements = AgreementSet(
        [
            agreement("isa-a", 1, date(2024, 1, 1), housing_reads=frozenset()),
            agreement("isa-b", 1, date(2024, 1, 1)),
        ]
    )
    decision = agreements.decide("housing-oxford", "marac", "victim.address", date(2024, 2, 1))
    assert (decision.allowed, decision.reason) == (True, "shared under isa-b v1")


def test_review_is_overdue_after_the_review_date() -> None:
    isa = agreement("isa", 1, date(2024, 1, 1))
    assert not isa.review_overdue(date(2030, 1, 1))
    assert isa.review_overdue(date(2030, 1, 2))


# -- originator_reads_own: a referrer can read back what it submitted ------------------------


def reads_own(agreement_: Agreement, on: bool = True) -> Agreement:
    from dataclasses import replace

    return replace(agreement_, originator_reads_own=on)


def test_an_agency_reads_back_a_class_it_is_not_granted_from_its_own_record() -> None:
    agreements = AgreementSet([reads_own(agreement("isa", 1, date(2024, 1, 1)))])
    day = date(2025, 1, 1)
    own = agreements.decide(
        "housing-oxford", "marac", "victim.health", day, recorded_by="housing-oxford"
    )
    assert own.allowed
    assert own.reason == "shown under isa v1: housing-oxford recorded it"
    assert own.agreement is not None and own.agreement.label == "isa v1"


def test_another_agencys_record_in_the_same_class_stays_withheld() -> None:
    agreements = AgreementSet([reads_own(agreement("isa", 1, date(2024, 1, 1)))])
    day = date(2025, 1, 1)
    for recorded_by in ("tvp", None):
        other = agreements.decide(
            "housing-oxford", "marac", "victim.health", day, recorded_by=recorded_by
        )
        assert not other.allowed
        assert other.reason == (
            "withheld under isa v1: housing-oxford may not read victim.health for marac"
        )


def test_without_the_rule_an_agency_does_not_read_back_ungranted_classes() -> None:
    agreements = AgreementSet([reads_own(agreement("isa", 1, date(2024, 1, 1)), on=False)])
    decision = agreements.decide(
        "housing-oxford", "marac", "victim.health", date(2025, 1, 1), recorded_by="housing-oxford"
    )
    assert not decision.allowed


def test_the_rule_covers_only_parties_and_the_agreements_purposes() -> None:
    agreements = AgreementSet([reads_own(agreement("isa", 1, date(2024, 1, 1)))])
    day = date(2025, 1, 1)
    stranger = agreements.decide("acme", "marac", "victim.health", day, recorded_by="acme")
    other_purpose = agreements.decide(
        "housing-oxford", "mappa", "mappa.minutes", day, recorded_by="housing-oxford"
    )
    assert not stranger.allowed and not other_purpose.allowed
