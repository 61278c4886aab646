"""Times across module boundaries: aware datetimes, in UTC.

Casewatch stores times as ISO 8601 strings in UTC (``2024-06-28T15:02:00+00:00``)
and hands aware datetimes from one module to another. A naive datetime (no
time zone) is refused where it is handed over: compared with an aware one it
raises, and ``timestamp()`` would read it as the machine's local time. A
stored string without a zone (written by hand, or by an older version) is
read as UTC, the zone Casewatch writes in.
"""

from __future__ import annotations

from datetime import UTC, datetime


def aware(when: datetime, name: str = "time") -> datetime:
    """``when``, if it is aware; raises ValueError for a naive datetime."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), not naive {when.isoformat()}")
    return when


def from_iso(text: str) -> datetime:
    """A stored ISO 8601 time as an aware datetime (UTC when it names no zone)."""
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
