"""Slack listeners and Block Kit rendering. No SQL here: queries live in ``storage``."""
