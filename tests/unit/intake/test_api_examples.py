"""On a demo stack the reference's examples name the demo's records and today's weeks."""

from __future__ import annotations

import datetime as dt

from services.intake import api_examples


def test_the_examples_move_by_whole_weeks_and_keep_dates_of_birth():
    spec = {
        "components": {
            "schemas": {
                "Incident": {
                    "properties": {
                        "occurred_on": {"examples": ["2026-12-01"]},
                        "date_of_birth": {"examples": ["1991-08-14"]},
                        "person_id": {"examples": [api_examples.PERPETRATOR_ID]},
                    },
                    "examples": [
                        {
                            "occurred_on": "2026-12-01",
                            "suspect": {"date_of_birth": "1991-08-14"},
                            "person_id": api_examples.PERPETRATOR_ID,
                            "description": "2026-12-01",
                        }
                    ],
                }
            }
        }
    }
    moved = api_examples.for_demo(
        spec, {api_examples.PERPETRATOR_ID: "p-demo"}, dt.date(2027, 1, 2)
    )["components"]["schemas"]["Incident"]
    assert moved["properties"]["occurred_on"]["examples"] == ["2026-12-29"]  # 4 weeks on
    assert moved["properties"]["date_of_birth"]["examples"] == ["1991-08-14"]
    assert moved["properties"]["person_id"]["examples"] == ["p-demo"]
    assert moved["examples"][0] == {
        "occurred_on": "2026-12-29",
        "suspect": {"date_of_birth": "1991-08-14"},
        "person_id": "p-demo",
        "description": "2026-12-29",
    }
    assert api_examples.whole_weeks_between(dt.date(2026, 12, 3), dt.date(2026, 12, 6)).days == 0
    assert api_examples.whole_weeks_between(dt.date(2026, 12, 3), dt.date(2026, 12, 7)).days == 7
