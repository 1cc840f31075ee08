"""Persistence: SQLAlchemy 2 models, the event log, repositories and Alembic migrations."""
