"""The feed catalog: a TOML file of ``[[feed]]`` tables.

```toml
[[feed]]
name = "SEC litigation releases"
url = "https://www.sec.gov/enforcement-litigation/litigation-releases/rss"
agency = "SEC"            # free text
kind = "regulator"        # regulator | court | news
interval_minutes = 10     # optional; a default per kind
enabled = true            # optional
only_watched = true       # optional: keep only items of watched dockets and names (busy court feeds)
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from feeds.vocabulary import FeedKind

DEFAULT_INTERVAL_MINUTES = {FeedKind.REGULATOR: 10, FeedKind.COURT: 15, FeedKind.NEWS: 30}
BUNDLED_CATALOG = Path(__file__).with_name("catalog.toml")


class CatalogError(Exception):
    """The catalog file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class FeedSpec:
    name: str
    url: str
    agency: str
    kind: FeedKind
    interval_minutes: int
    enabled: bool = True
    only_watched: bool = False


def _spec(entry: object, position: int, source: Path) -> FeedSpec:
    where = f"{source}: feed #{position}"
    if not isinstance(entry, dict):
        raise CatalogError(f"{where} is not a table")
    unknown = set(entry) - {"name", "url", "agency", "kind", "interval_minutes", "enabled", "only_watched"}
    if unknown:
        raise CatalogError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    for key in ("name", "url", "kind"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise CatalogError(f"{where} needs a non-empty string '{key}'")
    if entry["kind"] not in set(FeedKind):
        choices = ", ".join(FeedKind)
        raise CatalogError(f"{where} ({entry['name']}): kind must be one of {choices}, not {entry['kind']!r}")
    kind = FeedKind(entry["kind"])
    if not entry["url"].startswith(("http://", "https://")):
        raise CatalogError(f"{where} ({entry['name']}): url must start with http:// or https://")
    interval = entry.get("interval_minutes", DEFAULT_INTERVAL_MINUTES[kind])
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        raise CatalogError(f"{where} ({entry['name']}): interval_minutes must be a whole number of minutes ≥ 1")
    enabled = entry.get("enabled", True)
    only_watched = entry.get("only_watched", False)
    if not isinstance(enabled, bool) or not isinstance(only_watched, bool):
        raise CatalogError(f"{where} ({entry['name']}): enabled and only_watched must be true or false")
    return FeedSpec(
        name=entry["name"].strip(),
        url=entry["url"].strip(),
        agency=str(entry.get("agency", "")).strip(),
        kind=kind,
        interval_minutes=interval,
        enabled=enabled,
        only_watched=only_watched,
    )


def load_catalog(path: Path) -> list[FeedSpec]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CatalogError(f"feed catalog not found: {path}") from error
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"{path} is not valid TOML: {error}") from error
    entries = data.get("feed", [])
    if not isinstance(entries, list):
        raise CatalogError(f"{path}: use [[feed]] tables")
    specs = [_spec(entry, position, path) for position, entry in enumerate(entries, 1)]
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CatalogError(f"{path}: feed names must be unique; repeated: {', '.join(duplicates)}")
    return specs
