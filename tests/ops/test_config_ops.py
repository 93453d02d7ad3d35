"""The production configuration: webhook, metrics port, listen address and log format."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config

SECRET = "Rahasia_Webhook-123"


def test_production_settings_default_to_polling_text_logs_and_no_metrics() -> None:
    config = load_config({}, dotenv=None)
    assert config.webhook_url is None
    assert config.webhook_secret is None
    assert config.webhook_port == 8443
    assert config.metrics_port is None
    assert config.listen_address == "127.0.0.1"
    assert config.log_format == "text"


def test_production_settings_are_read() -> None:
    config = load_config(
        {
            "WARTA_WEBHOOK_URL": "https://bot.example.com/telegram/warta",
            "WARTA_WEBHOOK_SECRET": SECRET,
            "WARTA_WEBHOOK_PORT": "88",
            "WARTA_METRICS_PORT": "9464",
            "WARTA_LISTEN_ADDRESS": "0.0.0.0",
            "WARTA_LOG_FORMAT": "JSON",
        },
        dotenv=None,
    )
    webhook = config.require_webhook()
    assert (webhook.url, webhook.secret, webhook.port) == (
        "https://bot.example.com/telegram/warta",
        SECRET,
        88,
    )
    assert webhook.path == "/telegram/warta"
    assert (config.metrics_port, config.listen_address) == (9464, "0.0.0.0")
    assert config.log_format == "json"
    assert SECRET not in repr(config)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WARTA_METRICS_PORT", "metrics"),
        ("WARTA_METRICS_PORT", "0"),
        ("WARTA_METRICS_PORT", "70000"),
        ("WARTA_WEBHOOK_PORT", "-1"),
        ("WARTA_WEBHOOK_URL", "http://bot.example.com/hook"),
        ("WARTA_WEBHOOK_URL", "https:///hook"),
        ("WARTA_WEBHOOK_SECRET", "spasi tidak boleh"),
        ("WARTA_WEBHOOK_SECRET", "x" * 257),
        ("WARTA_LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_production_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable) as raised:
        load_config({variable: value}, dotenv=None)
    if variable == "WARTA_WEBHOOK_SECRET":
        assert value not in str(raised.value)


def test_webhook_mode_names_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="WARTA_WEBHOOK_URL"):
        load_config({"WARTA_WEBHOOK_SECRET": SECRET}, dotenv=None).require_webhook()
    with pytest.raises(ConfigError, match="WARTA_WEBHOOK_SECRET"):
        load_config(
            {"WARTA_WEBHOOK_URL": "https://bot.example.com/hook"}, dotenv=None
        ).require_webhook()
