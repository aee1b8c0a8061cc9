"""The annual report figures (category x level per area) through the API, JSON and CSV.

Reporting years run 1 April to 31 March (default policy) and are named by the year they end
in. The nominals, all recorded on 20 May 2026:

- N1 thames-valley: registered 2 Jun 2025, category 2, level 2, level 3 from 1 Sep 2025,
  back to level 2 from 1 Dec 2025. Year 2026: on 31 Mar (2, 2); during the year its highest
  level was 3, so (2, 3).
- N2 thames-valley: registered 1 May 2025, category 1, level 1, ended 10 Feb 2026. Not
  managed on 31 Mar 2026; during year 2026 (1, 1).
- N3 thames-valley: registered 10 Apr 2026, category 3, level 1: only in year 2027.
- N4 thames-valley: registered 5 Jan 2026, category 2, no level yet: (2, unassigned).
- N5 hampshire: registered 1 Jul 2025, category 1 (indefinite notification), level 1.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.mappa.helpers import (
    AREA,
    category,
    level,
    ok,
    post,
    register,
    set_today,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def population(api) -> None:
    set_today(api, dt.date(2026, 5, 20))
    n1 = register(api, registered_on="2025-06-02")
    category(api, n1, 2, "2025-06-02")
    level(api, n1, 2, "2025-06-02")
    level(api, n1, 3, "2025-09-01")
    level(api, n1, 2, "2025-12-01")
    n2 = register(api, registered_on="2025-05-01")
    category(api, n2, 1, "2025-05-01", notification_end="2035-05-01")
    level(api, n2, 1, "2025-05-01")
    ok(post(api, n2, "end", {"ended_on": "2026-02-10", "reason": "Deported"}))
    n3 = register(api, registered_on="2026-04-10")
    category(api, n3, 3, "2026-04-10")
    level(api, n3, 1, "2026-04-10")
    n4 = register(api, registered_on="2026-01-05")
    category(api, n4, 2, "2026-01-05")
    n5 = register(api, registered_on="2025-07-01", area="hampshire")
    category(api, n5, 1, "2025-07-01", notification_indefinite=True)
    level(api, n5, 1, "2025-07-01")
    api.settle()


def stats(api, **params):
    return api.client.get(
        "/api/mappa/stats", params=params, headers=api.headers("probation-tv", "agency_contact")
    )


def grid(figure: dict) -> dict[tuple, int]:
    """The non-empty cells."""
    return {(c["category"], c["level"]): c["count"] for c in figure["cells"] if c["count"]}


@pytest.mark.usefixtures("population")
def test_year_2026_figures_for_one_area(api):
    response = stats(api, area=AREA, year=2026)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["period_start"], body["period_end"], body["as_at"]) == (
        "2025-04-01",
        "2026-03-31",
        "2026-03-31",
    )
    (area,) = body["areas"]
    assert area["area"] == AREA
    assert grid(area["as_at"]) == {(2, 2): 1, (2, None): 1}
    assert area["as_at"]["total"] == 2
    assert area["as_at"]["by_category"] == [
        {"label": 1, "count": 0},
        {"label": 2, "count": 2},
        {"label": 3, "count": 0},
    ]
    assert area["as_at"]["by_level"] == [
        {"label": 1, "count": 0},
        {"label": 2, "count": 1},
        {"label": 3, "count": 0},
        {"label": None, "count": 1},
    ]
    assert len(area["as_at"]["cells"]) == 10  # 3 categories x 3 levels, and (2, unassigned)
    assert grid(area["managed_during"]) == {(2, 3): 1, (1, 1): 1, (2, None): 1}
    assert area["managed_during"]["total"] == 3


@pytest.mark.usefixtures("population")
def test_every_area_and_the_running_year_by_default(api):
    every_area = stats(api, year=2026).json()
    running = stats(api, area=AREA).json()

    assert [a["area"] for a in every_area["areas"]] == ["hampshire", AREA]
    assert grid(every_area["areas"][0]["as_at"]) == {(1, 1): 1}
    assert (running["year"], running["as_at"]) == (2027, "2026-05-20")
    (area,) = running["areas"]
    assert grid(area["as_at"]) == {(2, 2): 1, (3, 1): 1, (2, None): 1}
    assert grid(area["managed_during"]) == {(2, 2): 1, (3, 1): 1, (2, None): 1}


@pytest.mark.usefixtures("population")
def test_an_area_without_nominals_has_zero_counts(api):
    (area,) = stats(api, area="wiltshire", year=2026).json()["areas"]
    assert area["area"] == "wiltshire"
    assert area["as_at"]["total"] == 0
    assert grid(area["as_at"]) == {}
    assert len(area["as_at"]["cells"]) == 9


@pytest.mark.usefixtures("population")
def test_annual_counts_as_csv(api):
    response = stats(api, area=AREA, year=2026, format="csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "mappa-figures-2026-thames-valley.csv" in response.headers["content-disposition"]
    lines = response.text.split("\r\n")
    assert lines[0] == "Area,Figure,Period start,Period end,As at,Category,Level,Count"
    assert lines[-1] == ""
    assert len(lines) == 1 + 10 + 10 + 1
    prefix = "Thames Valley,{},2025-04-01,2026-03-31,2026-03-31,"
    assert prefix.format("Managed on the as-at date") + "2,2,1" in lines
    assert prefix.format("Managed on the as-at date") + "2,Not assigned,1" in lines
    assert prefix.format("Managed on the as-at date") + "1,1,0" in lines
    assert prefix.format("Managed during the year") + "2,3,1" in lines
    assert prefix.format("Managed during the year") + "1,1,1" in lines
    total = sum(
        int(line.rsplit(",", 1)[1]) for line in lines[1:-1] if ",Managed on the as-at date," in line
    )
    assert total == 2


def test_bad_year_is_422(api):
    response = stats(api, year=1850)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "year"]


def test_an_area_with_quotes_and_non_ascii_letters_cannot_break_the_download_header(api):
    """Once a 500 (the header could not be encoded) and a way to inject header text."""
    area = 'Ynys Môn"; filename=evil.exe'
    response = stats(api, area=area, year=2026, format="csv")

    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    plain = disposition.split(";")[1].strip()
    assert plain == 'filename="mappa-figures-2026-Ynys_M_n___filename_evil.exe.csv"'
    assert disposition.endswith(
        "filename*=UTF-8''mappa-figures-2026-Ynys%20M%C3%B4n%22%3B%20filename%3Devil.exe.csv"
    )
