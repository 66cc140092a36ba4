"""Benchmarks of issue 2: inbound throughput and the grab race, on SQLite and PostgreSQL."""
