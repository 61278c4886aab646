"""Casewatch: configuration, app wiring, the command line and the alert sender."""
