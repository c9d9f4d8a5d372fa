"""Paid peer work: contracts, trainings, shifts, the roster, timesheets, pay, debriefs."""
