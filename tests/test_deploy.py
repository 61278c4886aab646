"""The deploy files (Dockerfile, .dockerignore, compose.yaml, the systemd unit,
the container's health check) hold what the README's "Run in production"
relies on: a pinned base, a user of its own, the database on a volume, a
health check on /healthz, no secret in the image, a stop timeout above the
20 s shutdown bound."""

from __future__ import annotations

import configparser
import fnmatch
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import ModuleType

import pytest
import yaml

from tests.conftest import ROOT, SlackApi, free_port, slack_bot_env, write_catalog

SHUTDOWN_BOUND_SECONDS = 20  # run's bound on finishing in-flight work after SIGTERM (issue 12)
SECRET_NAMES = re.compile(r"TOKEN|SECRET|PASSWORD|CLIENT_ID", re.IGNORECASE)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's (INSTRUCTION, arguments), continuation lines joined, comments left out."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (instruction.upper(), arguments.strip())
        for instruction, _, arguments in (line.strip().partition(" ") for line in joined.splitlines() if line.strip())
    ]


def arguments_of(name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile_instructions() if instruction == name]


def env_assignments() -> dict[str, str]:
    """Every ``ENV`` of the Dockerfile, as name → value."""
    found: dict[str, str] = {}
    for arguments in arguments_of("ENV"):
        found.update(part.split("=", 1) for part in shlex.split(arguments))
    return found


def test_the_image_starts_from_an_exact_slim_python_311() -> None:
    [base] = arguments_of("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", base), base


def test_the_image_runs_as_a_user_of_its_own() -> None:
    instructions = dockerfile_instructions()
    users = [(position, arguments) for position, (name, arguments) in enumerate(instructions) if name == "USER"]
    assert users, "no USER: the bot would run as root"
    position, user = users[-1]
    assert user.split(":")[0] not in ("root", "0")
    run_at = next(at for at, (name, _) in enumerate(instructions) if name == "CMD")
    assert position < run_at
    assert [name for name, _ in instructions[position:] if name == "RUN"] == []  # nothing else is done as root after


def test_the_image_runs_the_bot_with_its_database_on_the_data_volume() -> None:
    assert json.loads(arguments_of("CMD")[-1]) == ["python", "-m", "bot", "run"]
    env = env_assignments()
    assert PurePosixPath(env["CASEWATCH_DB"]).parent == PurePosixPath("/data")
    assert env["HOST"] == "0.0.0.0"  # reachable through the container's published port
    assert json.loads(arguments_of("VOLUME")[-1]) == ["/data"]
    [healthcheck] = arguments_of("HEALTHCHECK")
    assert "deploy/healthcheck.py" in healthcheck
    assert "/healthz" in (ROOT / "deploy" / "healthcheck.py").read_text()


def test_the_image_holds_the_runtime_requirements_only_and_no_secret() -> None:
    runs = " ".join(arguments_of("RUN"))
    assert "-r requirements.txt" in runs and "requirements-dev" not in runs
    assert [name for name in env_assignments() if SECRET_NAMES.search(name)] == []
    assert [line for line in arguments_of("ARG") if SECRET_NAMES.search(line)] == []
    ignored = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    for secret_or_data in (".env", "casewatch.db", ".venv", ".git"):
        assert any(fnmatch.fnmatch(secret_or_data, pattern) for pattern in ignored), secret_or_data
    for arguments in arguments_of("COPY"):
        *sources, _ = arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not any(fnmatch.fnmatch(source.rstrip("/"), pattern) for pattern in ignored), source


def test_compose_runs_the_bot_with_a_named_volume_env_file_restart_and_healthcheck() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    [service] = compose["services"].values()
    assert service["build"] == "."
    assert service["env_file"] in (".env", [".env"])
    assert service["restart"] in ("always", "unless-stopped", "on-failure")
    [volume] = service["volumes"]
    name, mount = volume.split(":")[:2]
    assert name in compose["volumes"] and mount == "/data"
    environment = service["environment"]
    assert PurePosixPath(environment["CASEWATCH_DB"]).parent == PurePosixPath("/data")
    assert [name for name in environment if SECRET_NAMES.search(name)] == []  # they come from .env
    [published] = service["ports"]
    assert published.rsplit(":", 1)[-1] == str(environment["PORT"])
    assert "deploy/healthcheck.py" in " ".join(service["healthcheck"]["test"])
    assert int(service["stop_grace_period"].removesuffix("s")) > SHUTDOWN_BOUND_SECONDS


def systemd_unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read(ROOT / "deploy" / "casewatch.service")
    return unit


def test_the_systemd_unit_runs_the_bot_as_its_own_user_hardened() -> None:
    service = systemd_unit()["Service"]
    assert service["User"] not in ("root", "0") and service["EnvironmentFile"]
    assert service["ExecStart"].endswith("python -m bot run")
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    database = next(part for part in shlex.split(service["Environment"]) if part.startswith("CASEWATCH_DB="))
    data_dir = PurePosixPath(database.split("=", 1)[1]).parent
    assert str(data_dir) in service["ReadWritePaths"].split()
    assert data_dir == PurePosixPath("/var/lib") / service["StateDirectory"]  # made, and owned by the user
    assert int(service["TimeoutStopSec"].removesuffix("s")) > SHUTDOWN_BOUND_SECONDS


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = (ROOT / "deploy" / "casewatch.service").read_text()
    # verify checks that ExecStart's program exists: point it at this Python, as the README's venv would be.
    copy = tmp_path / "casewatch.service"
    copy.write_text(unit.replace("/opt/casewatch/.venv/bin/python", sys.executable))
    verified = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and verified.stdout + verified.stderr == "", verified.stdout + verified.stderr


def test_the_health_check_passes_on_a_serving_bot_and_fails_without_one(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable[[dict[str, str]], str]
) -> None:
    base = start_bot(slack_bot_env(tmp_path, slack_api, write_catalog(tmp_path / "feeds.toml", [])))
    script = str(ROOT / "deploy" / "healthcheck.py")

    def health(port: str) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", "PORT": port}
        return subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, timeout=30)

    serving = health(base.rsplit(":", 1)[1])
    assert serving.returncode == 0, serving.stdout
    nothing = health(str(free_port()))
    assert nothing.returncode == 1 and "no answer" in nothing.stdout


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({"PORT": "8080"}, "http://127.0.0.1:8080/healthz"),
        ({}, "http://127.0.0.1:3000/healthz"),
        ({"SLACK_APP_TOKEN": "xapp-1", "METRICS_PORT": "9100", "PORT": "8080"}, "http://127.0.0.1:9100/healthz"),
        ({"SLACK_APP_TOKEN": "xapp-1", "PORT": "8080"}, None),  # Socket Mode serves no HTTP without METRICS_PORT
    ],
)
def test_the_health_check_asks_the_port_run_serves_health_on(env: dict[str, str], url: str | None) -> None:
    assert load_healthcheck().health_url(env) == url


def docker_daemon() -> str | None:
    """Why Docker cannot build here (None: it can)."""
    if shutil.which("docker") is None:
        return "Docker is not installed"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    return None if info.returncode == 0 else "the Docker daemon is unreachable"


def test_the_image_builds_and_runs_as_its_user() -> None:
    absent = docker_daemon()
    if absent:
        pytest.skip(absent)
    tag = "casewatch-test:build"
    built = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    try:
        helped = subprocess.run(
            ["docker", "run", "--rm", tag, "python", "-m", "bot", "--help"], capture_output=True, text=True, timeout=300
        )
        assert helped.returncode == 0 and "python -m bot" in helped.stdout, helped.stderr
        user = subprocess.run(["docker", "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, timeout=300)
        assert user.stdout.strip() not in ("", "0")
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=300)


def test_the_readme_production_steps_name_what_the_deploy_files_hold() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Run in production") :]
    section = section[: section.index("\n## ", 1)]
    [service] = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    runs = re.findall(r"docker compose run --rm (\S+) python -m bot (\w+)", section)
    assert runs == [(service, "check"), (service, "migrate")]  # check, then migrate, then up
    assert section.index("as_casewatch check") < section.index("as_casewatch migrate") < section.index("enable --now")
    for path in re.findall(r"deploy/[\w.-]+", section):
        assert (ROOT / path).exists(), path
    unit = systemd_unit()["Service"]
    assert unit["EnvironmentFile"] in section and unit["WorkingDirectory"] in section


def test_the_settings_example_names_known_variables_and_holds_no_secret() -> None:
    from bot.config import ENVIRONMENT

    known = {variable.name for variable in ENVIRONMENT}
    example = (ROOT / "deploy" / "casewatch.env.example").read_text().splitlines()
    settings = [line.lstrip("# ").split("=", 1) for line in example if re.match(r"#? ?[A-Z_]+=", line)]
    assert [name for name, _ in settings if name not in known] == []
    assert [name for name, value in settings if SECRET_NAMES.search(name) and value] == []
