"""Alembic migrations of the tunelab schema."""
