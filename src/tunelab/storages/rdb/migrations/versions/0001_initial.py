"""Initial schema: studies, study attrs and batches, trials, params, values, attrs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_F64 = sa.Float(precision=53)


def upgrade() -> None:
    """Create every table of schema 0001."""
    op.create_table(
        "tunelab_studies",
        sa.Column("study_id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("directions", sa.JSON, nullable=False),
        sa.Column("datetime_created", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("study_id", name="pk_tunelab_studies"),
        sa.UniqueConstraint("name", name="uq_tunelab_studies_name"),
        sqlite_autoincrement=True,
    )
    for table in ("tunelab_study_attrs", "tunelab_study_batches"):
        columns: list[Any] = [
            sa.Column("study_id", sa.Integer, nullable=False),
        ]
        key_columns = ["study_id"]
        if table == "tunelab_study_attrs":
            columns.append(sa.Column("system", sa.Boolean, nullable=False))
            key_columns.append("system")
        columns.append(sa.Column("key", sa.String(512), nullable=False))
        key_columns.append("key")
        if table == "tunelab_study_attrs":
            columns.append(sa.Column("value", sa.JSON, nullable=True))
        op.create_table(
            table,
            *columns,
            sa.PrimaryKeyConstraint(*key_columns, name=f"pk_{table}"),
            sa.ForeignKeyConstraint(
                ["study_id"],
                ["tunelab_studies.study_id"],
                ondelete="CASCADE",
                name=f"fk_{table}_study_id_tunelab_studies",
            ),
        )
    op.create_table(
        "tunelab_trials",
        sa.Column("trial_id", sa.Integer, autoincrement=True),
        sa.Column("study_id", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("planned", sa.Boolean, nullable=False),
        sa.Column("objective_values", sa.JSON, nullable=True),
        sa.Column("datetime_start", _TZ, nullable=True),
        sa.Column("datetime_complete", _TZ, nullable=True),
        sa.Column("worker_id", sa.String(64), nullable=True),
        sa.Column("heartbeat", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("trial_id", name="pk_tunelab_trials"),
        sa.UniqueConstraint("study_id", "number", name="uq_tunelab_trials_study_id"),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["tunelab_studies.study_id"],
            ondelete="CASCADE",
            name="fk_tunelab_trials_study_id_tunelab_studies",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tunelab_trials_study_state", "tunelab_trials", ["study_id", "state"])
    trial_tables: dict[str, list[Any]] = {
        "tunelab_trial_params": [
            sa.Column("name", sa.String(512), nullable=False),
            sa.Column("internal", _F64, nullable=False),
            sa.Column("distribution", sa.Text, nullable=False),
        ],
        "tunelab_trial_values": [
            sa.Column("step", sa.Integer, nullable=False),
            sa.Column("value", _F64, nullable=True),
        ],
        "tunelab_trial_attrs": [
            sa.Column("system", sa.Boolean, nullable=False),
            sa.Column("key", sa.String(512), nullable=False),
            sa.Column("value", sa.JSON, nullable=True),
        ],
    }
    for table, columns in trial_tables.items():
        keys = [
            "trial_id",
            *(c.name for c in columns if c.name not in ("internal", "distribution", "value")),
        ]
        op.create_table(
            table,
            sa.Column("trial_id", sa.Integer, nullable=False),
            *columns,
            sa.PrimaryKeyConstraint(*keys, name=f"pk_{table}"),
            sa.ForeignKeyConstraint(
                ["trial_id"],
                ["tunelab_trials.trial_id"],
                ondelete="CASCADE",
                name=f"fk_{table}_trial_id_tunelab_trials",
            ),
        )


def downgrade() -> None:
    """Drop every table of schema 0001."""
    for table in (
        "tunelab_trial_attrs",
        "tunelab_trial_values",
        "tunelab_trial_params",
        "tunelab_trials",
        "tunelab_study_batches",
        "tunelab_study_attrs",
        "tunelab_studies",
    ):
        op.drop_table(table)
