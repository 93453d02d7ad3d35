"""deploy/: the Dockerfile, compose.yaml and the systemd unit say and do what operators need."""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import build_application
from bot.cli.run import EXIT_CONFIG
from bot.config import Config
from bot.context import WartaApp
from bot.demo.scenario import running
from bot.standin import FeedServer, TelegramStandIn
from tests.inprocess import LOOPBACK_FEEDS, write_feeds
from tests.ops.helpers import free_port

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
    (service,) = document["services"].values()
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


def test_systemd_unit_keeps_state_restarts_on_crashes_not_on_bad_configuration() -> None:
    unit = configparser.RawConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "warta.service", encoding="utf-8")
    service = unit["Service"]
    assert service["DynamicUser"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "warta"
    assert "WARTA_DB=/var/lib/warta/" in service["Environment"]
    assert service["WorkingDirectory"] == "/var/lib/warta"
    assert service["Restart"] == "on-failure"
    assert str(EXIT_CONFIG) in service["RestartPreventExitStatus"].split()
    assert shlex.split(service["ExecStart"])[1:] == ["run"]


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify insists that ExecStart exists here; everything else is checked as written.
    text = (DEPLOY / "warta.service").read_text(encoding="utf-8")
    unit = tmp_path / "warta.service"
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


async def exit_code(command: list[str], port: int) -> int:
    """Run a container health check here, with this interpreter standing in for `python`."""
    program = [sys.executable if part == "python" else part for part in command]
    env = {"PATH": os.environ.get("PATH", ""), "WARTA_METRICS_PORT": str(port)}
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
        (service,) = compose()["services"].values()
        command = service["healthcheck"]["test"][1:]
    assert await exit_code(command, port) == 0
    services = app.bot_data.services
    assert services is not None
    await services.storage.close()  # /healthz now answers 503
    assert await exit_code(command, port) != 0


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
