"""Finding a person, case or nominal by name, date of birth or reference, across MARAC, MATAC
and MAPPA, for the coordinators and analysts who need to, under the agreement in force.

A slice of its own rather than part of ``services/sharing``: it reads the read models of
every service (and the sharing index), while sharing is what those services depend on, so
putting it there would make the dependency run both ways.
"""
