"""The production settings: webhook, metrics port, listen address and log format."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

SECRET = "Rahasia_Webhook-123"


def test_production_settings_default_to_polling_text_logs_and_no_metrics() -> None:
    settings = load_settings({}, dotenv=None)
    assert settings.webhook_url is None
    assert settings.webhook_secret is None
    assert settings.webhook_port == 8443
    assert settings.metrics_port is None
    assert settings.listen_address == "127.0.0.1"
    assert settings.log_format == "text"


def test_production_settings_are_read() -> None:
    settings = load_settings(
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
    webhook = settings.require_webhook()
    assert (webhook.url, webhook.secret, webhook.port) == (
        "https://bot.example.com/telegram/warta",
        SECRET,
        88,
    )
    assert webhook.path == "/telegram/warta"
    assert (settings.metrics_port, settings.listen_address) == (9464, "0.0.0.0")
    assert settings.log_format == "json"
    assert SECRET not in repr(settings)


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
    with pytest.raises(SettingsError, match=variable) as raised:
        load_settings({variable: value}, dotenv=None)
    if variable == "WARTA_WEBHOOK_SECRET":
        assert value not in str(raised.value)


def test_webhook_mode_names_what_is_missing() -> None:
    with pytest.raises(SettingsError, match="WARTA_WEBHOOK_URL"):
        load_settings({"WARTA_WEBHOOK_SECRET": SECRET}, dotenv=None).require_webhook()
    with pytest.raises(SettingsError, match="WARTA_WEBHOOK_SECRET"):
        load_settings(
            {"WARTA_WEBHOOK_URL": "https://bot.example.com/hook"}, dotenv=None
        ).require_webhook()
