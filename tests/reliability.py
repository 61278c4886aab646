"""The reliability suite: which fault or abuse each test covers, and what it saw.

A test joins the suite with ``@pytest.mark.reliability("what goes wrong", kind="feed fault")``
(or ``pytest.param(..., marks=...)`` for one case of a parametrized test) and records
what it observed through the ``observed`` fixture::

    observed.record(items_lost=0, alerts_lost=0, alerts_duplicated=0)

``pytest --reliability-report=FILE`` writes every marked test's case, outcome and
figures as JSON. ``python -m tests.reliability`` runs the marked tests that way and
writes ``docs/RELIABILITY.md`` from the results, so the table is never written by hand.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

MARK = "reliability"
ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "RELIABILITY.md"
KIND_ORDER = ("feed fault", "slack fault", "crash", "storage fault", "abuse", "input")
FIGURES = ("items_lost", "alerts_lost", "alerts_duplicated")
WORKERS = "3"  # pytest-xdist workers, as in the README's test command


@dataclass
class Observed:
    """What a reliability test measured; ``None`` where the figure does not apply."""

    items_lost: int | None = None
    alerts_lost: int | None = None
    alerts_duplicated: int | None = None

    def record(
        self, *, items_lost: int | None = None, alerts_lost: int | None = None, alerts_duplicated: int | None = None
    ) -> None:
        if items_lost is not None:
            self.items_lost = items_lost
        if alerts_lost is not None:
            self.alerts_lost = alerts_lost
        if alerts_duplicated is not None:
            self.alerts_duplicated = alerts_duplicated


_OBSERVED = pytest.StashKey[Observed]()


@pytest.fixture
def observed(request: pytest.FixtureRequest) -> Observed:
    found = Observed()
    request.node.stash[_OBSERVED] = found
    return found


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reliability-report", metavar="FILE", help="write the reliability suite's results as JSON")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability(case, kind): a fault or abuse case of the reliability suite (docs/RELIABILITY.md)"
    )
    config.pluginmanager.register(ResultCollector(config), "reliability-results")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach a marked test's row to its report: reports are what pytest-xdist's
    workers send to the controller, so the rows of every worker reach it."""
    report = yield
    marker = item.get_closest_marker(MARK)
    if marker is None or not marker.args:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        figures = item.stash.get(_OBSERVED, Observed())
        report.reliability = {
            "case": marker.args[0],
            "kind": marker.kwargs.get("kind", "other"),
            "test": item.nodeid,
            "outcome": "skipped" if report.skipped else report.outcome,
            **asdict(figures),
        }
    return report


class ResultCollector:
    """Gathers the rows from the reports (the controller's, under pytest-xdist)
    and writes them to ``--reliability-report``: in the order tests were collected,
    or by test id where the controller collected nothing (pytest-xdist)."""

    def __init__(self, config: pytest.Config) -> None:
        self.path = config.getoption("--reliability-report")
        self.is_xdist_worker = hasattr(config, "workerinput")
        self.rows: list[dict] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        row = getattr(report, "reliability", None)
        if row is not None:
            self.rows.append(row)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.path and not self.is_xdist_worker:
            order = {item.nodeid: index for index, item in enumerate(session.items)}  # none on xdist's controller
            rows = sorted(self.rows, key=lambda row: (order.get(row["test"], len(order)), row["test"]))
            Path(self.path).write_text(json.dumps(rows, indent=1))


# --- the table ----------------------------------------------------------------


def _figure(value: int | None) -> str:
    return "—" if value is None else str(value)


def render(results: list[dict]) -> str:
    """``docs/RELIABILITY.md`` from the JSON results: one row a case, totals first."""
    rows = sorted(
        results,
        key=lambda r: (KIND_ORDER.index(r["kind"]) if r["kind"] in KIND_ORDER else len(KIND_ORDER), r["test"]),
    )
    passed = sum(r["outcome"] == "passed" for r in rows)
    totals = {name: sum(r[name] or 0 for r in rows) for name in FIGURES}
    measured = {name: sum(r[name] is not None for r in rows) for name in FIGURES}
    lines = [
        "# Reliability",
        "",
        "Every fault and abuse Casewatch is tested against, the test that covers it and what that test observed",
        "in its last run. Generated by `python -m tests.reliability` from the test results: do not edit by hand.",
        "",
        f"**{passed} of {len(rows)} cases passed.** "
        f"Items lost: {totals['items_lost']} (in {measured['items_lost']} cases that count them); "
        f"alerts lost: {totals['alerts_lost']} (in {measured['alerts_lost']}); "
        f"alerts duplicated: {totals['alerts_duplicated']} (in {measured['alerts_duplicated']}). "
        "A dash means the figure does not apply to that case.",
        "",
        "| kind | case | test | result | items lost | alerts lost | alerts duplicated |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        case = r["case"].replace("|", "\\|")
        test = r["test"].replace("|", "\\|")
        lines.append(
            f"| {r['kind']} | {case} | `{test}` | {r['outcome']} | {_figure(r['items_lost'])} | "
            f"{_figure(r['alerts_lost'])} | {_figure(r['alerts_duplicated'])} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability", description="Run the reliability suite and write docs/RELIABILITY.md."
    )
    parser.add_argument("--results", help="render from this JSON (from --reliability-report) instead of running")
    parser.add_argument("--output", default=str(TABLE), help=f"where to write the table (default: {TABLE})")
    args = parser.parse_args(argv)
    if args.results:
        results = json.loads(Path(args.results).read_text())
        code = 0
    else:
        with tempfile.TemporaryDirectory() as scratch:
            report = Path(scratch) / "reliability.json"
            code = subprocess.call(
                [sys.executable, "-m", "pytest", "-q", "-n", WORKERS, "-m", MARK, f"--reliability-report={report}"],
                cwd=ROOT,
            )
            if not report.exists():
                return code or 1
            results = json.loads(report.read_text())
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(render(results))
    print(f"{len(results)} cases written to {args.output}")
    return code


if __name__ == "__main__":
    sys.exit(main())
