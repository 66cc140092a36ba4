"""Benchmarks: inbound throughput and the grab race, on SQLite and PostgreSQL."""
