"""Application wiring: the app, the CLI, the channels and the outbox sender."""
