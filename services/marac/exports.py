"""Agenda and quarterly return as CSV and printable HTML."""

from __future__ import annotations

import io
from collections.abc import Mapping

from jinja2 import Environment, PackageLoader, select_autoescape

from services.kernel.spreadsheet import SafeWriter, area_name, yes_no
from services.marac.domain.criteria import CRITERION_LABELS
from services.marac.domain.returns import QuarterlyReturn, ReturnRow
from services.marac.models import AgendaView
from services.sharing.service import Caller

_templates = Environment(
    loader=PackageLoader("services.marac", "templates"),
    autoescape=select_autoescape(["html"]),
)

AGENDA_COLUMNS = [
    "Position", "Case", "Late", "Repeat", "Last referral", "DASH score", "Risk level",
    "Criteria met", "Referring agency", "Referral date", "IDVA allocated", "Agencies involved",
    "Children", "Victim", "Person causing harm", "Open actions", "Rolls over to next meeting",
    "Withdrawn", "Corrected",
]  # fmt: skip
"""Headings as the chair's spreadsheet has them: words, not field codes (the JSON keeps those)."""


def _text(value) -> str:
    """A protected value in a cell: the value, or the status in capitals with no value."""
    if value["status"] == "shown":
        return value["value"]
    return value["status"].upper()


def agenda_csv(agenda: AgendaView, agency_names: Mapping[str, str] | None = None) -> str:
    """The agenda in words: each case by its reference (its id if opened before references),
    agencies by the names the agreement gives them."""
    names = agency_names or {}

    def agency(code: str) -> str:
        return names.get(code, code)

    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["# OFFICIAL-SENSITIVE"])
    writer.writerow(AGENDA_COLUMNS)
    for case, rolls_over in [(c, False) for c in agenda.cases] + [
        (c, True) for c in agenda.overflow
    ]:
        data = case.model_dump(mode="json")
        writer.writerow(
            [
                case.position, case.case_reference or case.case_id, yes_no(case.late),
                yes_no(case.repeat),
                case.last_referral_date or "", case.dash_score, case.risk_level.title(),
                "; ".join(CRITERION_LABELS.get(c, c) for c in case.criteria),
                agency(case.referring_agency), case.referral_date, yes_no(case.idva_allocated),
                "; ".join(agency(a) for a in case.agencies_involved), case.children_count,
                _text(data["victim_name"]),
                "; ".join(_text(p) for p in data["perpetrator_names"]),
                len(case.outstanding_actions), yes_no(rolls_over),
                yes_no(case.withdrawn), yes_no(case.corrected),
            ]
        )  # fmt: skip
    return out.getvalue()


def agenda_html(
    agenda: AgendaView, caller: Caller, agency_names: Mapping[str, str] | None = None
) -> str:
    """The printable agenda; agencies by the names the agreement gives them."""
    names = agency_names or {}
    template = _templates.get_template("agenda_print.html")
    return template.render(agenda=agenda, caller=caller, agency=lambda code: names.get(code, code))


RETURN_COLUMNS = [
    "MARAC", "Quarter", "Meeting date", "Cases discussed", "Repeat cases",
    "Referrals from the police", "Referrals from IDVAs", "Referrals from housing",
    "Referrals from health", "Referrals from children's social care",
    "Referrals from probation", "Referrals from other agencies",
    "Victims from Black, Asian and racially minoritised groups", "LGBT victims",
    "Disabled victims", "Male victims", "Victims aged 16 or 17", "Children in the households",
    "Perpetrators aged 17 or under",
]  # fmt: skip
"""Headings in words. A meeting is named by its date (an area has one meeting a date); the
last row, "Total", is the quarter's."""

_QUARTER_MONTHS = {
    "1": "January to March",
    "2": "April to June",
    "3": "July to September",
    "4": "October to December",
}


def quarter_in_words(quarter: str) -> str:
    """``2026Q3`` → ``July to September 2026``."""
    year, _, number = quarter.partition("Q")
    return f"{_QUARTER_MONTHS[number]} {year}" if number in _QUARTER_MONTHS else quarter


def _return_row(marac: str, quarter: str, row: ReturnRow) -> list:
    agencies = row.referrals_by_agency
    return [
        area_name(marac), quarter_in_words(quarter),
        row.meeting_date.isoformat() if row.meeting_date else "Total",
        row.cases_discussed, row.repeat_cases, agencies.police, agencies.idva, agencies.housing,
        agencies.health, agencies.csc, agencies.probation, agencies.other,
        row.victims_racially_minoritised, row.victims_lgbt, row.victims_disabled,
        row.victims_male, row.victims_aged_16_17, row.children_in_households,
        row.perpetrators_aged_17_or_under,
    ]  # fmt: skip


def quarterly_return_csv(result: QuarterlyReturn, quarter_text: str) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(RETURN_COLUMNS)
    for row in (*result.rows, result.total):
        writer.writerow(_return_row(result.marac_id, quarter_text, row))
    return out.getvalue()
