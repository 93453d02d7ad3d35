"""Running Warta in production: webhook, health, metrics, logs, backup, deploy and the demo."""
