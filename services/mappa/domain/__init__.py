"""MAPPA domain rules: pure functions over plain data, free of I/O and clock reads.

Modules, one concern each:

- ``policy_model``: the frozen policy a deploying partnership configures (intervals, toggles).
- ``dates``: calendar arithmetic for review intervals (weeks, calendar months).
- ``events``: the event type names the fold understands.
- ``nominal``: the nominal aggregate state and the fold ``apply(state, event, policy)``.
- ``commands``: what a coordinator asks for, each turning into one event.
- ``rules``: validation of a command against the current state (``RuleViolation``).
- ``schedule``: the review clock, when the next review is due (last review or registration
  plus the level's interval, or the panel's date).
- ``reviews``: review status and the reviews-due list.
- ``stats``: the annual report figures (category x level per area).
"""
