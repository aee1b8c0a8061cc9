"""Human references: allocated in the command's transaction, unique under concurrent posts."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest

from services.kernel.references import ReferenceKind, find_by_reference
from tests.integration.mappa.helpers import registration, writer
from tests.integration.marac.referral_data import referral

pytestmark = pytest.mark.integration


def _at_once(count: int, post: Callable[[int], dict]) -> list[dict]:
    """Run ``post(i)`` in ``count`` threads released together; their answers."""
    answers: list[dict] = []
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        answers.append(post(i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == count
    return answers


def test_concurrent_referrals_get_distinct_references_per_area_and_year(api):
    idva = api.headers("idva-oxon", "referrer")
    year = api.platform.today().year

    def post(i: int) -> dict:
        body = referral(victim=f"Victim Number{i}", perpetrator=f"Perp Number{i}")
        response = api.client.post("/api/marac/referrals", json=body, headers=idva)
        assert response.status_code == 201, response.text
        return response.json()

    answers = _at_once(6, post)
    referrals = sorted(a["reference"] for a in answers)
    cases = sorted(a["case_reference"] for a in answers)
    assert referrals == [f"OX-R-{year}-{n:04d}" for n in range(1, 7)]
    assert cases == [f"OX-{year}-{n:04d}" for n in range(1, 7)]

    # another area counts on its own
    other = api.client.post(
        "/api/marac/referrals", json=referral(victim="Zed Other", area="reading"), headers=idva
    ).json()
    assert (other["reference"], other["case_reference"]) == (
        f"RE-R-{year}-0001",
        f"RE-{year}-0001",
    )

    # projected, and shown by the referral's own read route
    first = answers[0]
    view = api.client.get(f"/api/marac/referrals/{first['referral_id']}", headers=idva).json()
    assert view["reference"] == first["reference"]
    assert view["case_reference"] == first["case_reference"]


def test_a_repeat_referral_keeps_its_case_reference_and_gets_its_own(api):
    idva = api.headers("idva-oxon", "referrer")
    first = api.client.post("/api/marac/referrals", json=referral(), headers=idva).json()
    # different DASH answers: a repeat, not a duplicate of the first
    again = api.client.post("/api/marac/referrals", json=referral(yes=16), headers=idva).json()
    assert again["repeat"] is True
    assert again["case_id"] == first["case_id"]
    assert again["case_reference"] == first["case_reference"]
    assert again["reference"] != first["reference"]


def test_concurrent_mappa_registrations_get_distinct_references(api):
    year = api.platform.today().year
    coordinator = writer(api)  # the account made before the threads start

    def post(i: int) -> dict:
        body = registration(name=f"Nominal Number{i}", confirmed_not_duplicate=True)
        response = api.client.post("/api/mappa/nominals", json=body, headers=coordinator)
        assert response.status_code == 201, response.text
        return response.json()

    answers = _at_once(5, post)
    references = sorted(a["nominal"]["reference"] for a in answers)
    assert references == [f"TV-M-{year}-{n:04d}" for n in range(1, 6)]
    one = answers[0]
    record = api.client.get(f"/api/mappa/nominals/{one['nominal_id']}", headers=writer(api))
    assert record.json()["reference"] == one["nominal"]["reference"]
    due = api.client.get("/api/mappa/reviews", headers=writer(api)).json()
    assert {r["reference"] for r in due["reviews"]} <= set(references)


def test_find_by_reference_names_the_record_whatever_the_case_typed(api):
    idva = api.headers("idva-oxon", "referrer")
    made = api.client.post("/api/marac/referrals", json=referral(), headers=idva).json()
    nominal = api.client.post(
        "/api/mappa/nominals", json=registration(), headers=writer(api)
    ).json()
    with api.platform.engine.connect() as conn:
        case = find_by_reference(conn, f"  {made['case_reference'].lower()} ")
        referral_found = find_by_reference(conn, made["reference"])
        nominal_found = find_by_reference(conn, nominal["nominal"]["reference"])
        assert find_by_reference(conn, "OX-1999-0001") is None
        assert find_by_reference(conn, "not a reference") is None
    assert (case.kind, case.record_id) == (ReferenceKind.MARAC_CASE, made["case_id"])
    assert (referral_found.kind, referral_found.record_id) == (
        ReferenceKind.MARAC_REFERRAL,
        made["referral_id"],
    )
    assert nominal_found.record_id == nominal["nominal_id"]
    assert re.fullmatch(r"TV-M-\d{4}-0001", nominal_found.reference)


def test_a_case_from_before_references_shows_its_id_until_its_next_referral(api):
    """Events written before ReferralSubmitted v4 carry no reference: none is invented on
    projection, pages show the id, and the case's next referral gives it a reference."""
    from services.marac.intake import submit_referral
    from services.marac.models import ReferralRequest
    from services.sharing.service import Caller

    platform = api.platform
    idva = Caller("idva-user", "idva-oxon", "referrer")
    with platform.commands.begin() as command:
        submission = submit_referral(
            platform, command.conn, idva, ReferralRequest.model_validate(referral())
        )
        old = submission.events[-1]
        for key in ("reference", "case_reference"):
            old.payload.pop(key)  # as an event written by v2 would be
        command.record(submission.events)
    case_id = submission.accepted.case_id
    headers = api.headers("idva-oxon", "referrer")
    view = api.client.get(
        f"/api/marac/referrals/{submission.accepted.referral_id}", headers=headers
    ).json()
    assert (view["reference"], view["case_reference"]) == (None, None)

    again = api.client.post("/api/marac/referrals", json=referral(yes=16), headers=headers).json()
    assert again["case_id"] == case_id and again["repeat"] is True
    assert again["case_reference"] is not None
    with platform.engine.connect() as conn:
        found = find_by_reference(conn, again["case_reference"])
    assert found is not None and found.record_id == case_id
