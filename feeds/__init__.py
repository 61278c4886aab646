"""Fetching, parsing, extraction and matching of regulator, court and news feeds.

Nothing in this package talks to Slack; it hands plain data to ``storage``.
"""
