"""Persistence: SQLAlchemy 2 models (usable without Flask) and engine set-up."""
