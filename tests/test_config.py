"""Configuration from the environment: defaults, validation, and the message a bad value gets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_API_URL, ConfigError, PaidRule, load_config
from bot.feeds.feedlist import FeedListError, load_feed_list


def test_defaults_follow_the_documented_contract() -> None:
    config = load_config({}, dotenv=None)
    assert config.token is None
    assert config.api_url == DEFAULT_API_URL
    assert config.database == Path("warta.db")
    assert config.feeds_file is None
    assert config.poll_seconds == 60
    assert config.longest_poll == 1800
    assert config.admins == frozenset()
    assert config.send_rate == 30


def test_every_variable_is_read() -> None:
    config = load_config(
        {
            "TELEGRAM_BOT_TOKEN": "1:abc",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "WARTA_DB": "/tmp/x.db",
            "WARTA_FEEDS": "feeds.toml",
            "WARTA_POLL_SECONDS": "2",
            "WARTA_ADMINS": "12, 34",
            "WARTA_LOG_LEVEL": "debug",
            "WARTA_SEND_RATE": "250",
            "WARTA_PAID_RULE": "Lenient",
        },
        dotenv=None,
    )
    assert config.require_token() == "1:abc"
    assert config.api_url == "http://127.0.0.1:8081"
    assert config.database == Path("/tmp/x.db")
    assert config.feeds_file == Path("feeds.toml")
    assert config.poll_seconds == 2
    assert config.admins == {12, 34}
    assert config.log_level == "DEBUG"
    assert config.send_rate == 250
    assert config.paid_rule == PaidRule.LENIENT


def test_dotenv_fills_in_but_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# local\nTELEGRAM_BOT_TOKEN='1:fromfile'\nWARTA_DB=file.db\n")
    config = load_config({"WARTA_DB": "env.db"}, dotenv=dotenv)
    assert config.token == "1:fromfile"
    assert config.database == Path("env.db")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WARTA_POLL_SECONDS", "0"),
        ("WARTA_POLL_SECONDS", "sering"),
        ("WARTA_POLL_SECONDS", "nan"),
        ("WARTA_POLL_MAX_SECONDS", "sebentar"),
        ("WARTA_ADMINS", "12,budi"),
        ("TELEGRAM_API_URL", "api.telegram.org"),
        ("WARTA_LOG_LEVEL", "chatty"),
        ("WARTA_ALLOW_PRIVATE_FEEDS", "localhost"),
        ("WARTA_ALLOW_PRIVATE_FEEDS", "10.0.0.0/33"),
        ("WARTA_ALLOW_PRIVATE_FEEDS", "127.0.0.1; 10.0.0.1"),
        ("WARTA_ALLOW_PRIVATE_FEEDS", ","),
        ("WARTA_SEND_RATE", "0"),
        ("WARTA_SEND_RATE", "1001"),
        ("WARTA_SEND_RATE", "2.5"),
        ("WARTA_SEND_RATE", "cepat"),
        ("WARTA_SEND_RATE", "-5"),
        ("WARTA_PAID_RULE", "free"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_config({variable: value}, dotenv=None)


def test_the_longest_poll_interval_must_not_be_below_the_shortest() -> None:
    environment = {"WARTA_POLL_SECONDS": "600", "WARTA_POLL_MAX_SECONDS": "300"}
    with pytest.raises(ConfigError) as raised:
        load_config(environment, dotenv=None)
    message = str(raised.value)
    assert "WARTA_POLL_MAX_SECONDS" in message
    assert "WARTA_POLL_SECONDS" in message
    assert "\n" not in message
    fixed = load_config({"WARTA_POLL_SECONDS": "300", "WARTA_POLL_MAX_SECONDS": "300"}, dotenv=None)
    assert (fixed.poll_seconds, fixed.longest_poll) == (300, 300)
    # A shortest interval above the default longest one makes both the same.
    assert load_config({"WARTA_POLL_SECONDS": "3600"}, dotenv=None).longest_poll == 3600


@pytest.mark.parametrize("value", ["1", "30", "1000"])
def test_the_send_rate_takes_whole_numbers_up_to_telegrams_paid_maximum(value: str) -> None:
    assert load_config({"WARTA_SEND_RATE": value}, dotenv=None).send_rate == int(value)


def test_the_paid_rule_is_strict_unless_the_operator_says_lenient() -> None:
    assert load_config({}, dotenv=None).paid_rule == PaidRule.STRICT
    assert load_config({"WARTA_PAID_RULE": " strict "}, dotenv=None).paid_rule == PaidRule.STRICT


ALLOW_LIST = "127.0.0.1, 10.20.0.0/16, ::1"


@pytest.mark.parametrize(
    ("setting", "address", "allowed"),
    [
        ("", "93.184.216.34", True),
        ("", "127.0.0.1", False),
        ("off", "10.20.0.1", False),
        ("1", "169.254.169.254", True),
        ("yes", "10.0.0.1", True),
        (ALLOW_LIST, "93.184.216.34", True),
        (ALLOW_LIST, "127.0.0.1", True),
        (ALLOW_LIST, "::ffff:127.0.0.1", True),
        (ALLOW_LIST, "127.0.0.2", False),
        (ALLOW_LIST, "10.20.255.254", True),
        (ALLOW_LIST, "10.21.0.1", False),
        (ALLOW_LIST, "::ffff:10.21.0.1", False),
        (ALLOW_LIST, "::1", True),
        (ALLOW_LIST, "fd00::1", False),
        (ALLOW_LIST, "169.254.169.254", False),
        (ALLOW_LIST, "192.168.1.1", False),
        ("::ffff:192.168.0.0/112", "192.168.7.7", True),
        ("fe80::/10", "fe80::1%eth0", True),
    ],
)
def test_private_feed_addresses_are_refused_unless_listed(
    setting: str, address: str, allowed: bool
) -> None:
    config = load_config({"WARTA_ALLOW_PRIVATE_FEEDS": setting}, dotenv=None)
    assert config.fetch_addresses.allows(address) is allowed


def warta_run(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`warta run` in a folder with only these variables (and what Python needs) set."""
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=folder,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_malformed_allow_list_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = warta_run(
        tmp_path,
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
        WARTA_ALLOW_PRIVATE_FEEDS="127.0.0.1, intranet.local",
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "WARTA_ALLOW_PRIVATE_FEEDS" in line
    assert "'intranet.local'" in line


def test_missing_token_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    result = warta_run(tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "@BotFather" in lines[0]


def test_bundled_feed_list_has_national_and_regional_feeds() -> None:
    seeds = load_feed_list(None)
    assert len(seeds) >= 40
    regions = {seed.region for seed in seeds}
    assert {"Nasional", "Banten"} <= regions
    assert all(seed.url.startswith(("http://", "https://")) for seed in seeds)
    assert len({seed.url for seed in seeds}) == len(seeds)


def test_feed_file_keys_other_than_url_are_optional(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds]]\nurl = "https://banten.antaranews.com/rss/terkini.xml"\n')
    (seed,) = load_feed_list(path)
    assert (seed.name, seed.region) == ("banten.antaranews.com", "")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[[feeds]\nurl=", "not valid TOML"),
        ('[[feeds]]\nname = "x"\n', "no http\\(s\\) url"),
        ('[[feeds]]\nurl = "file:///etc/passwd"\n', "no http\\(s\\) url"),
        ('feeds = "x"\n', "must contain"),
    ],
)
def test_bad_feed_file_says_what_is_wrong(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(content)
    with pytest.raises(FeedListError, match=problem):
        load_feed_list(path)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://warta:rahasia@db.internal:5432/warta",
        "postgres://warta@db.internal/warta",
        "postgresql:///warta?host=/run/postgresql",
    ],
)
def test_warta_db_takes_a_postgresql_url_as_it_is(url: str) -> None:
    assert load_config({"WARTA_DB": url}, dotenv=None).database == url


def test_warta_db_with_another_scheme_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigError) as refused:
        load_config({"WARTA_DB": "mysql://warta:rahasia@db.internal/warta"}, dotenv=None)
    message = str(refused.value)
    assert "WARTA_DB" in message
    assert "mysql://" in message
    assert "rahasia" not in message


def test_a_mysql_url_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = warta_run(
        tmp_path,
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
        WARTA_DB="mysql://warta:rahasia@db.internal/warta",
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "WARTA_DB must be an SQLite file path or a postgresql:// URL" in line
    assert "rahasia" not in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []  # no warta.db made either


@pytest.mark.parametrize("password", ["ra/hasia", "ra@hasia", "ra#has@ia", "ra?hasia@"])
def test_an_unencoded_password_is_refused_without_being_shown(password: str) -> None:
    url = f"postgresql://warta:{password}@db.internal:5432/warta"
    with pytest.raises(ConfigError, match="percent-encoded") as refused:
        load_config({"WARTA_DB": url}, dotenv=None)
    assert "hasia" not in str(refused.value)


def test_an_encoded_password_is_taken_as_it_is() -> None:
    url = "postgresql://warta:ra%2Fha%40sia@db.internal:5432/warta"
    assert load_config({"WARTA_DB": url}, dotenv=None).database == url


def test_the_mini_app_is_at_the_webhooks_origin_unless_given_and_off_without_either() -> None:
    assert load_config({}, dotenv=None).webapp_url is None
    hook = {"WARTA_WEBHOOK_URL": "https://bot.example.com/telegram/warta"}
    assert load_config(hook, dotenv=None).webapp_url == "https://bot.example.com/app/"
    own = {**hook, "WARTA_WEBAPP_URL": "https://app.example.com/warta/app/"}
    assert load_config(own, dotenv=None).webapp_url == "https://app.example.com/warta/app/"
    with pytest.raises(ConfigError, match="WARTA_WEBAPP_URL must be an https"):
        load_config({"WARTA_WEBAPP_URL": "http://app.example.com/"}, dotenv=None)
