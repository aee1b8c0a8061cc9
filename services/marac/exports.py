"""Agenda and quarterly return as CSV and printable HTML."""

from __future__ import annotations

import io

from jinja2 import Environment, PackageLoader, select_autoescape

from services.kernel.spreadsheet import SafeWriter
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


def _yes_no(flag: bool | None) -> str:
    return "" if flag is None else ("Yes" if flag else "No")


def agenda_csv(agenda: AgendaView) -> str:
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
                case.position, case.case_id, _yes_no(case.late), _yes_no(case.repeat),
                case.last_referral_date or "", case.dash_score, case.risk_level.title(),
                "; ".join(CRITERION_LABELS.get(c, c) for c in case.criteria),
                case.referring_agency, case.referral_date, _yes_no(case.idva_allocated),
                "; ".join(case.agencies_involved), case.children_count,
                _text(data["victim_name"]),
                "; ".join(_text(p) for p in data["perpetrator_names"]),
                len(case.outstanding_actions), _yes_no(rolls_over),
                _yes_no(case.withdrawn), _yes_no(case.corrected),
            ]
        )  # fmt: skip
    return out.getvalue()


def agenda_html(agenda: AgendaView, caller: Caller) -> str:
    return _templates.get_template("agenda_print.html").render(agenda=agenda, caller=caller)


RETURN_COLUMNS = [
    "marac", "quarter", "meeting_id", "meeting_date", "cases_discussed", "repeat_cases",
    "referrals_police", "referrals_idva", "referrals_housing", "referrals_health",
    "referrals_csc", "referrals_probation", "referrals_other",
    "victims_black_asian_racially_minoritised", "victims_lgbt", "victims_disabled",
    "victims_male", "victims_aged_16_17", "children_in_households", "perpetrators_aged_17_or_under",
]  # fmt: skip


def _return_row(marac: str, quarter: str, row: ReturnRow) -> list:
    agencies = row.referrals_by_agency
    return [
        marac, quarter, row.meeting_id or "TOTAL", row.meeting_date or "",
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
