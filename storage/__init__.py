"""The SQLite schema and every query Casewatch makes. Nothing here knows Slack."""
