"""The container's health check: ``GET /healthz`` of the ``run`` beside it.

Exits 0 when it answers 200, else 1 with one line saying why. In HTTP mode it
asks ``PORT``; in Socket Mode (``SLACK_APP_TOKEN`` set) it asks
``METRICS_PORT``, where ``run`` serves its health and metrics (issue 12), and
passes when that is unset (Socket Mode without it serves no HTTP at all).
Standard library only: the slim image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

TIMEOUT_SECONDS = 4.0


def health_url(env: Mapping[str, str]) -> str | None:
    """Where ``run`` answers /healthz, or None if it serves no HTTP."""
    port = env.get("METRICS_PORT", "").strip() if env.get("SLACK_APP_TOKEN", "").strip() else env.get("PORT", "3000")
    return f"http://127.0.0.1:{port.strip()}/healthz" if port else None


def main() -> int:
    url = health_url(os.environ)
    if url is None:
        print("Socket Mode without METRICS_PORT: no health endpoint to ask")
        return 0
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:
            print(f"{url}: {answer.status}")
            return 0 if answer.status == 200 else 1
    except urllib.error.HTTPError as error:
        print(f"{url}: {error.code} {error.read(500).decode(errors='replace')}")
    except OSError as error:
        print(f"{url}: no answer ({type(error).__name__})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
