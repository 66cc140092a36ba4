"""Jiesu (接诉): neighbourhood problem reports as tracked work orders."""
