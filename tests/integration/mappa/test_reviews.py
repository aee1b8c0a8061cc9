"""The reviews-due and overdue lists at their boundaries, and the overdue CSV export.

Hand-worked due dates (default policy: level 3 every 8 weeks, level 2 every 16 weeks,
level 1 every 12 calendar months). None has been reviewed, so each clock runs from
registration; each is registered on the day its level is set:

- A, level 2 from Mon 19 Jan 2026: due Mon 11 May 2026 (112 days later).
- B, level 3 from Mon 2 Mar 2026: due Mon 27 Apr 2026 (29 days to 31 Mar + 27).
- C, level 1 from 12 Jan 2026: due 12 Jan 2027.
- D, as B but in Hampshire with tvp leading: due 27 Apr 2026.
- E, level 3 from 12 Jan 2026 (due 9 Mar) but management ended on 2 Mar: never listed.
- F, no level yet: nothing due.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.mappa.helpers import (
    AREA,
    level,
    ok,
    post,
    read,
    register,
    review,
    set_today,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def nominals(api) -> dict[str, str]:
    set_today(api, dt.date(2026, 3, 2))
    registered_on = {"A": "2026-01-19", "B": "2026-03-02"}
    ids = {
        name: register(api, registered_on=registered_on.get(name, "2026-01-12")) for name in "ABCEF"
    }
    ids["D"] = register(
        api, agency="tvp", area="hampshire", lead_agency="tvp", registered_on="2026-03-02"
    )
    level(api, ids["A"], 2, "2026-01-19")
    level(api, ids["B"], 3, "2026-03-02")
    level(api, ids["C"], 1, "2026-01-12")
    level(api, ids["D"], 3, "2026-03-02", agency="tvp")
    level(api, ids["E"], 3, "2026-01-12")
    ok(post(api, ids["E"], "end", {"ended_on": "2026-03-02", "reason": "Recalled to custody"}))
    api.settle()
    return ids


def due(api, **params) -> dict:
    response = api.client.get(
        "/api/mappa/reviews", params=params, headers=api.headers("mappa-coord", "mappa_coordinator")
    )
    assert response.status_code == 200, response.text
    return response.json()


def rows(listing: dict) -> list[tuple]:
    return [
        (r["nominal_id"], r["due_on"], r["status"], r["days_overdue"]) for r in listing["reviews"]
    ]


def test_due_today_is_due_not_overdue_and_the_window_includes_its_last_day(api, nominals):
    a, b = nominals["A"], nominals["B"]
    set_today(api, dt.date(2026, 4, 27))

    default = due(api, area=AREA)
    within_13 = due(api, area=AREA, due_within_days=13)
    within_14 = due(api, area=AREA, due_within_days=14)

    assert default["due_within_days"] == 28  # the policy's horizon
    assert rows(default) == [(b, "2026-04-27", "due", 0), (a, "2026-05-11", "due", 0)]
    assert (default["overdue_count"], default["due_count"]) == (0, 2)
    assert rows(within_13) == [(b, "2026-04-27", "due", 0)]
    assert rows(within_14) == [(b, "2026-04-27", "due", 0), (a, "2026-05-11", "due", 0)]
    assert due(api, area=AREA, overdue=True)["reviews"] == []


def test_the_day_after_the_due_date_is_overdue(api, nominals):
    set_today(api, dt.date(2026, 4, 28))

    listing = due(api, area=AREA, overdue=True)

    assert rows(listing) == [(nominals["B"], "2026-04-27", "overdue", 1)]
    assert listing["overdue_count"] == 1


def test_area_and_lead_agency_filters(api, nominals):
    set_today(api, dt.date(2026, 4, 27))

    everywhere = due(api, due_within_days=0)
    tvp_led = due(api, lead_agency="tvp")
    hampshire = due(api, area="hampshire")

    same_day = sorted([nominals["B"], nominals["D"]])
    assert [r["nominal_id"] for r in everywhere["reviews"]] == same_day
    assert [r["area"] for r in hampshire["reviews"]] == ["hampshire"]
    assert [(r["nominal_id"], r["lead_agency"]) for r in tvp_led["reviews"]] == [
        (nominals["D"], "tvp")
    ]


def test_overdue_list_as_csv_and_a_review_clears_it(api, nominals):
    a, b = nominals["A"], nominals["B"]
    set_today(api, dt.date(2026, 5, 12))

    response = api.client.get(
        "/api/mappa/reviews",
        params={"overdue": "true", "area": AREA, "format": "csv"},
        headers=api.headers("tvp", "agency_contact"),
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "mappa-overdue-reviews-2026-05-12.csv" in response.headers["content-disposition"]
    # in words: the nominal by reference, the area and lead agency by name, Yes/No, labels
    ref = {n: read(api, n, "tvp")["reference"] for n in (a, b)}
    agency = '"The Probation Service, Thames Valley"'
    assert response.text == (
        "Nominal,Area,Lead agency,Level,Review due,Status,Days overdue\r\n"
        f"{ref[b]},Thames Valley,{agency},3,2026-04-27,Overdue,15\r\n"
        f"{ref[a]},Thames Valley,{agency},2,2026-05-11,Overdue,1\r\n"
    )

    # Level 3 reviewed on 12 May: next due 8 weeks later, 7 July 2026.
    accepted = review(api, b, "2026-05-12", attended_agencies=["tvp", "probation-tv"])
    assert accepted["nominal"]["next_review"]["due_on"] == "2026-07-07"
    api.settle()
    assert rows(due(api, area=AREA, overdue=True)) == [(a, "2026-05-11", "overdue", 1)]


def test_the_record_shows_an_overdue_review(api, nominals):
    set_today(api, dt.date(2026, 5, 12))

    response = api.client.get(
        f"/api/mappa/nominals/{nominals['A']}", headers=api.headers("housing-oxford", "referrer")
    )

    assert response.json()["next_review"] == {
        "due_on": "2026-05-11",
        "status": "overdue",
        "days_overdue": 1,
        "set_by_panel": False,
        "last_review_on": None,
    }


def test_bad_query_parameters_are_422(api):
    response = api.client.get(
        "/api/mappa/reviews",
        params={"due_within_days": "-1"},
        headers=api.headers("tvp", "agency_contact"),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "due_within_days"]


def test_raising_the_level_counts_from_the_last_review_so_it_heads_the_overdue_list(api):
    """The audit's case: level 1, last reviewed 11 months ago, raised to level 3 today.

    Level 1 reviewed on 19 May 2025; raised to level 3 on 20 April 2026: due 8 weeks after the
    review, 14 July 2025, so 280 days overdue, not due on 15 June 2026. The other nominal,
    level 2 from 15 December 2025, was due on 6 April 2026 (14 days overdue).
    """
    set_today(api, dt.date(2026, 4, 20))
    raised = register(api, registered_on="2025-04-07")
    level(api, raised, 1, "2025-04-07")
    review(api, raised, "2025-05-19", attended_agencies=["probation-tv"])
    other = register(api, registered_on="2025-12-15")
    level(api, other, 2, "2025-12-15")

    accepted = level(api, raised, 3, "2026-04-20")

    expected = {
        "due_on": "2025-07-14",
        "status": "overdue",
        "days_overdue": 280,
        "set_by_panel": False,
        "last_review_on": "2025-05-19",
    }
    assert accepted["nominal"]["next_review"] == expected
    record = ok(
        api.client.get(
            f"/api/mappa/nominals/{raised}",
            headers=api.headers("mappa-coord", "mappa_coordinator"),
        )
    )
    assert record["next_review"] == expected
    listing = due(api, area=AREA)
    assert rows(listing) == [
        (raised, "2025-07-14", "overdue", 280),
        (other, "2026-04-06", "overdue", 14),
    ]
    assert listing["reviews"][0]["level"] == 3


def test_a_level_change_with_the_panel_date_takes_that_date(api):
    set_today(api, dt.date(2026, 4, 20))
    nominal_id = register(api, registered_on="2025-04-07")
    level(api, nominal_id, 1, "2025-04-07")
    review(api, nominal_id, "2025-05-19")

    accepted = level(api, nominal_id, 3, "2026-04-20", next_review_on="2026-05-04")

    assert accepted["nominal"]["next_review"]["due_on"] == "2026-05-04"
    assert accepted["nominal"]["next_review"]["set_by_panel"] is True
