"""`warta run --role` on SQLite, the scheduler's leader lease, and `warta status`."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.ops.heartbeat import PROCESS_TIMEOUT_SECONDS
from bot.ops.leadership import LEASE_SECONDS, RENEW_SECONDS, Leadership
from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from storage.models import FeedSeed, NewItem
from tests.factories import news
from tests.inprocess import alert_titles
from tests.ops.helpers import free_port, operator_environment, start_warta, wait_until_listening

HUNG = 60.0


class Clock:
    """A clock the test moves by hand (for leases) or leaves at the wall's time."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Storage]:
    """The bot's SQLite file, opened as the operators' tools open it."""
    store = Storage(tmp_path / "warta.db")
    await store.open()
    yield store
    await store.close()


async def test_an_sqlite_file_used_on_another_machine_is_refused_with_one_line(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, sqlite: Storage
) -> None:
    await sqlite.register_process(77, "poller,sender", "elsewhere", 4242, time.time())
    env = operator_environment(tmp_path, telegram, feeds, {"WARTA_LOG_LEVEL": "WARNING"})
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "run", "--role", "updates"),
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await asyncio.wait_for(process.communicate(), HUNG)
    stderr = errors.decode()
    assert process.returncode == 2, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("warta: ")
    assert "elsewhere" in line
    assert "PostgreSQL" in line
    assert "WARTA_DB" in line


async def test_a_machine_gone_silent_no_longer_holds_its_sqlite_file(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, sqlite: Storage
) -> None:
    silent_since = time.time() - PROCESS_TIMEOUT_SECONDS - 1
    await sqlite.register_process(77, "poller,sender", "elsewhere", 4242, silent_since)
    port = free_port()
    env = operator_environment(tmp_path, telegram, feeds, {"WARTA_METRICS_PORT": str(port)})
    process = await start_warta(["run", "--role", "sender"], env, tmp_path, tmp_path / "bot.log")
    await wait_until_listening(port, HUNG)
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), HUNG) == 0


async def test_roles_in_several_processes_share_one_sqlite_file_on_one_machine(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    env = operator_environment(tmp_path, telegram, feeds)
    log = tmp_path / "bot.log"
    front = await start_warta(
        ["run", "--role", "updates", "--role", "scheduler"], env, tmp_path, log
    )
    try:
        telegram.user_says(501, "/subscribe banjir")
        await telegram.wait_for_messages(501, 1, timeout=HUNG)
        back = await start_warta(
            ["run", "--role", "poller", "--role", "sender"], env, tmp_path, log
        )
        try:
            await feeds.wait_for_hits("/banten.xml", 2, timeout=HUNG)  # the first poll is done
            feeds.add_item("/banten.xml", news("banjir", "Banjir rendam Kasemen"))
            await telegram.wait_for(lambda tg: alert_titles(tg, 501) != [], timeout=HUNG)
            assert alert_titles(telegram, 501) == ["Banjir rendam Kasemen"]
        finally:
            back.send_signal(signal.SIGINT)  # Ctrl-C, in a process without an updater
            assert await asyncio.wait_for(back.wait(), HUNG) == 0, log.read_text()
    finally:
        front.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(front.wait(), HUNG) == 0, log.read_text()


async def test_one_scheduler_leads_and_another_takes_over_once_its_lease_runs_out(
    sqlite: Storage,
) -> None:
    clock = Clock()
    first, second = Leadership(sqlite, 1, clock), Leadership(sqlite, 2, clock)
    assert await first.renew()
    assert not await second.renew()
    assert first.leading
    assert not second.leading
    # The leader dies without a word; the lease is free once it has run out.
    clock.now += LEASE_SECONDS - 1
    assert not await second.renew()
    clock.now += 2
    assert await second.renew()
    assert second.leading
    assert not await first.renew()
    assert not first.leading
    # A standby asks every RENEW_SECONDS: failover within the 30 s promised.
    assert LEASE_SECONDS + RENEW_SECONDS <= 30


async def test_a_scheduler_stopping_cleanly_hands_over_at_once(sqlite: Storage) -> None:
    clock = Clock()
    first, second = Leadership(sqlite, 1, clock), Leadership(sqlite, 2, clock)
    await first.start()
    await second.start()
    assert first.leading
    assert not second.leading
    await first.stop()
    assert not first.leading
    assert await second.renew()
    await second.stop()


def status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """`warta status` with WARTA_DB the test's file: exit code, output, errors."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARTA_DB", str(tmp_path / "warta.db"))
    monkeypatch.setenv("WARTA_POLL_SECONDS", "60")
    code = main(["status"])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_without_a_database_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = status(tmp_path, monkeypatch, capsys)
    assert code == 2
    assert out == ""
    assert err.strip() == f"warta status: no database at {tmp_path / 'warta.db'} (WARTA_DB)"


async def test_status_names_the_missing_roles_the_backlog_and_the_feeds_due(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sqlite: Storage,
) -> None:
    now = time.time()
    await sqlite.register_process(11, "updates,scheduler", "front", 100, now - 2)
    await sqlite.register_process(12, "poller", "back", 200, now - 1)
    await sqlite.register_process(13, "sender", "back", 300, now - PROCESS_TIMEOUT_SECONDS - 5)
    await sqlite.take_lease("scheduler", 11, now, now + LEASE_SECONDS)
    await sqlite.sync_feeds([FeedSeed(f"http://127.0.0.1/{n}.xml", f"F{n}", "") for n in range(4)])
    feeds = await sqlite.list_feeds()
    await sqlite.record_feed_success(feeds[0].id, None, None, now)  # fetched just now
    await sqlite.record_feed_success(feeds[1].id, None, None, now - 90)  # due 30 s ago
    await sqlite.record_feed_success(feeds[2].id, None, None, now - 130)  # due 70 s ago
    await sqlite.register_chat(1, "private", "Budi", now)
    alert = NewItem(
        "urn:1", "Banjir", "", "", "https://b.example/1", now, alerts=((1, ("banjir",)),)
    )
    await sqlite.store_items(feeds[0].id, [alert], now - 65)
    code, out, _ = await asyncio.to_thread(status, tmp_path, monkeypatch, capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("processes alive: 2")
    assert "updates,scheduler" in lines[1]
    assert "front pid 100" in lines[1]
    assert lines[1].endswith("scheduler leader")
    assert "back pid 200" in lines[2]
    assert "pid 300" not in out  # silent too long: dead
    assert "roles: updates 1, poller 1, sender 0, scheduler 1" in lines
    assert "missing: sender (no live process runs it)" in lines
    assert "outbox: 1 waiting to be sent, the oldest queued 1 min 5 s ago" in lines
    # One feed never fetched, one due 30 s ago, one overdue (due for more than a poll interval).
    assert (
        "feeds: 4 enabled, 3 due, 1 overdue (due for longer than one poll interval, 60s)" in lines
    )


def test_webhook_mode_without_the_updates_role_stops_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    assert main(["run", "--webhook", "--role", "sender"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == "warta: --webhook receives updates: it needs the updates role (--role updates)"
