"""How human references look, and how a typed one is read back."""

from __future__ import annotations

import pytest

from services.kernel.references import (
    ReferenceKind,
    area_code,
    format_reference,
    label,
    parse_reference,
)


@pytest.mark.parametrize(
    ("area", "code"),
    [
        ("oxford", "OX"),
        ("reading", "RE"),
        ("north-oxfordshire", "NO"),
        ("milton-keynes", "MK"),
        ("thames-valley", "TV"),
        ("x", "XX"),
    ],
)
def test_an_area_code_is_two_capitals_from_the_policy_code(area: str, code: str) -> None:
    assert area_code(area) == code


def test_each_kind_has_its_own_shape() -> None:
    assert format_reference(ReferenceKind.MARAC_CASE, "OX", 2026, 143) == "OX-2026-0143"
    assert format_reference(ReferenceKind.MARAC_REFERRAL, "OX", 2026, 7) == "OX-R-2026-0007"
    assert format_reference(ReferenceKind.MAPPA_NOMINAL, "TV", 2026, 12345) == "TV-M-2026-12345"


def test_a_typed_reference_is_read_whatever_its_case_and_spaces() -> None:
    parsed = parse_reference(" ox-r-2026-0143 ")
    assert parsed is not None
    assert (parsed.kind, parsed.area_code, parsed.year, parsed.number) == (
        ReferenceKind.MARAC_REFERRAL,
        "OX",
        2026,
        143,
    )
    assert parse_reference("OX-2026-0143").kind is ReferenceKind.MARAC_CASE
    for not_one in ("c-1a2b3c4d5e", "OX-2026-12", "OX-Q-2026-0001", ""):
        assert parse_reference(not_one) is None


def test_a_record_made_before_references_is_labelled_by_its_id() -> None:
    assert label("OX-2026-0143", "c-1a2b3c4d5e") == "OX-2026-0143"
    assert label(None, "c-1a2b3c4d5e") == "c-1a2b3c4d5e"
