"""The MAPPA review clock: when a nominal's next review falls due.

The rule, one place for both the fold (``nominal``) and the review lists (``reviews``):

- The clock runs from the **last review**; a nominal never reviewed counts from its
  **registration** (``clock_start``).
- The next review is due one policy interval *for the level now in force* after that date
  (``next_review_due``). A level change therefore does not restart the clock: it changes the
  interval counted from the last review. A level 1 nominal last reviewed 11 months ago and
  raised to level 3 is due 8 weeks after that review, so already overdue, not 8 weeks after
  the decision.
- A date the panel chose explicitly (with a level decision or at a review) wins over the
  interval: the panel knows about a release date or a court hearing the interval does not.

Depends only on the policy model, so ``nominal`` and ``reviews`` can both import it.
"""

from datetime import date

from services.mappa.domain.policy_model import MappaPolicy


def clock_start(last_review_on: date | None, registered_on: date) -> date:
    """The date the review clock counts from: the last review, else the registration."""
    return last_review_on if last_review_on is not None else registered_on


def next_review_due(
    level: int,
    clock_from: date,
    policy: MappaPolicy,
    explicit_next: date | None = None,
) -> date:
    """Return the next review date for a nominal at ``level``.

    ``clock_from`` is ``clock_start(...)``: the last review, or the registration when there has
    been none. ``explicit_next``, a date the panel chose, wins when given.
    """
    if explicit_next is not None:
        return explicit_next
    return policy.review_intervals.for_level(level).after(clock_from)
