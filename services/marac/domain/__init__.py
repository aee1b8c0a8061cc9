"""MARAC domain rules: pure functions over plain data, with no I/O and no clock reads.

Every threshold, window and ordering these rules use is passed in by the caller, who takes
it from the partnership's policy file (see ``services.marac.policy``).
"""
