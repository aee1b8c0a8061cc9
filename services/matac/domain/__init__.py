"""MATAC domain rules: RFG(S) scoring, ranking and the cohort measure, as pure functions.

Nothing here reads a clock, a file, a broker or a database: the as-of date and the policy
are always parameters, so a score can be recomputed and explained for any past date.
"""
