"""The relational schema (SQLAlchemy Core): a few narrow tables, JSON for open-ended values.

* ``studies`` — one row per study; directions as a JSON list.
* ``study_attrs`` — user/system attributes of studies, one row per key (JSON value).
* ``study_batches`` — keys of batches enqueued by :meth:`BaseStorage.enqueue_batch`.
* ``trials`` — one row per trial: dense per-study number, state, objective values
  (a JSON list of finite floats), times, heartbeat, and whether a sampler planned it
  (user-enqueued WAITING trials are claimed before planned ones).
* ``trial_params`` — one row per parameter: float internal value + distribution JSON.
* ``trial_values`` — intermediate values, one row per step (a float column, so NaN and
  infinities survive; SQLite stores NaN as NULL, which is read back as NaN).
* ``trial_attrs`` — user/system attributes of trials, one row per key.

Writes on the hot path are single-row INSERTs or upserts: no read-modify-write of JSON.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "SCHEMA_HEAD",
    "metadata",
    "studies",
    "study_attrs",
    "study_batches",
    "trial_attrs",
    "trial_params",
    "trial_values",
    "trials",
]

SCHEMA_HEAD = "0001"
"""The Alembic revision this code reads and writes."""

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


studies = Table(
    "tunelab_studies",
    metadata,
    Column("study_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(512), nullable=False, unique=True),
    Column("directions", JSON, nullable=False),
    Column("datetime_created", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,  # ids are never reused: caches keyed by id stay valid
)

study_attrs = Table(
    "tunelab_study_attrs",
    metadata,
    Column(
        "study_id",
        Integer,
        ForeignKey("tunelab_studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("system", Boolean, primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value", JSON, nullable=True),
)

study_batches = Table(
    "tunelab_study_batches",
    metadata,
    Column(
        "study_id",
        Integer,
        ForeignKey("tunelab_studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(512), primary_key=True),
)

trials = Table(
    "tunelab_trials",
    metadata,
    Column("trial_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "study_id",
        Integer,
        ForeignKey("tunelab_studies.study_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("planned", Boolean, nullable=False, default=False),
    Column("objective_values", JSON, nullable=True),
    Column("datetime_start", DateTime(timezone=True), nullable=True),
    Column("datetime_complete", DateTime(timezone=True), nullable=True),
    Column("worker_id", String(64), nullable=True),
    Column("heartbeat", DateTime(timezone=True), nullable=True),
    UniqueConstraint("study_id", "number"),
    Index("ix_tunelab_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)

trial_params = Table(
    "tunelab_trial_params",
    metadata,
    Column(
        "trial_id",
        Integer,
        ForeignKey("tunelab_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("name", String(512), primary_key=True),
    Column("internal", Float(precision=53), nullable=False),
    Column("distribution", Text, nullable=False),
)

trial_values = Table(
    "tunelab_trial_values",
    metadata,
    Column(
        "trial_id",
        Integer,
        ForeignKey("tunelab_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("step", Integer, primary_key=True),
    Column("value", Float(precision=53), nullable=True),
)

trial_attrs = Table(
    "tunelab_trial_attrs",
    metadata,
    Column(
        "trial_id",
        Integer,
        ForeignKey("tunelab_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("system", Boolean, primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value", JSON, nullable=True),
)
