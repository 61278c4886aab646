"""The packages import one way: ``feeds/`` is pure steps (fetch, parse,
extract, match) and never imports ``storage/``, Slack or the bot; the ingest
pipeline (``bot.ingest``) imports both; ``handlers/`` ask for a poll through a
callback instead of importing the poller; ``storage/`` never imports Slack."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def offending_imports(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).glob("*.py")):
        for module in sorted(imported_modules(path)):
            if any(module == name or module.startswith(f"{name}.") for name in forbidden):
                found.append(f"{package}/{path.name} imports {module}")
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("feeds", ("storage", "bot", "handlers", "slack_sdk", "slack_bolt")),
        ("storage", ("bot", "handlers", "slack_sdk", "slack_bolt", "feeds.fetch", "feeds.record")),
        ("handlers", ("bot.ingest", "bot.scheduler")),
    ],
)
def test_packages_import_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    assert offending_imports(package, forbidden) == []


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from storage.items import store_item\n    import slack_sdk\n")
    assert imported_modules(module) == {"storage.items", "slack_sdk"}
