"""SQLAlchemy models and domain operations; imports nothing else of Jiesu's."""
