"""A referral sent twice, withdrawn or corrected: the rules, free of I/O.

*Duplicate.* The same referring agency referring the same victim (the same matched person)
with the same DASH answers on the same referral date has almost always pressed "send" twice.
Without this rule the second one became a *repeat* and jumped to the top of the agenda. A
duplicate is refused until the referrer confirms it is meant; a confirmed one is not a repeat
of the referral it duplicates (it joins the same case).

*Withdrawal and correction.* The referring agency may withdraw or correct its referral until
the agenda cut-off of the meeting the referral is for: the first meeting of the MARAC whose
cut-off is on or after the day the referral was received (the agenda rules list a referral
received on or before a cut-off). After that cut-off the agenda has gone to the partners, so
the referral stands and any change is a new referral or a risk change. While no meeting is
scheduled it may be changed at any time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SentReferral:
    """An earlier referral as the duplicate rule compares it (current DASH answers, i.e. as
    corrected if it was corrected)."""

    referral_id: str
    case_id: str
    referring_agency: str
    victim_id: str
    referral_date: dt.date
    dash_form: str
    dash_answers: Mapping[str, str]
    withdrawn: bool = False


def find_duplicate(
    *,
    referring_agency: str,
    victim_id: str,
    referral_date: dt.date,
    dash_form: str,
    dash_answers: Mapping[str, str],
    earlier: Iterable[SentReferral],
) -> SentReferral | None:
    """The earlier referral this one duplicates, if any: same agency, victim, date and answers.

    A withdrawn referral is never duplicated (withdrawing and sending again is the way to
    replace one). Answers compare exactly, question by question.
    """
    wanted = dict(dash_answers)
    for referral in earlier:
        if (
            not referral.withdrawn
            and referral.referring_agency == referring_agency
            and referral.victim_id == victim_id
            and referral.referral_date == referral_date
            and referral.dash_form == dash_form
            and dict(referral.dash_answers) == wanted
        ):
            return referral
    return None


@dataclass(frozen=True)
class ScheduledMeeting:
    meeting_id: str
    meeting_date: dt.date
    cutoff: dt.date


class AmendmentClosed(ValueError):
    """The referral can no longer be withdrawn or corrected: its meeting's cut-off passed."""

    def __init__(self, message: str, meeting: ScheduledMeeting):
        self.meeting = meeting
        super().__init__(message)


def meeting_for(
    received_on: dt.date, meetings: Iterable[ScheduledMeeting]
) -> ScheduledMeeting | None:
    """The meeting whose agenda a referral received that day is for (None: none scheduled)."""
    candidates = [m for m in meetings if m.cutoff >= received_on]
    return min(candidates, key=lambda m: m.cutoff) if candidates else None


def check_amendable(
    today: dt.date, received_on: dt.date, meetings: Iterable[ScheduledMeeting]
) -> ScheduledMeeting | None:
    """Raise AmendmentClosed after the cut-off of the referral's meeting; else that meeting."""
    meeting = meeting_for(received_on, meetings)
    if meeting is not None and today > meeting.cutoff:
        raise AmendmentClosed(
            f"the agenda cut-off for the meeting on {meeting.meeting_date.isoformat()} "
            f"({meeting.meeting_id}) was {meeting.cutoff.isoformat()}: the referral can no "
            "longer be withdrawn or corrected; send a new referral or a risk change instead",
            meeting,
        )
    return meeting
