"""indexes for the dashboard

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:45:00

The dashboard's figures come from indexes alone: every count of a survey's responses (status,
day, median time, channel, language) from one index that holds those columns (it replaces the
index on survey and status, its first two columns), and the drop-off per section from one on
section progress; on SQLite, the counts of answers by value too, from one on answers (question,
value): PostgreSQL cannot index its json type. At 100,000 responses the rows are not read.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = ["survey_id", "status", "started_at", "submitted_at", "channel", "language"]


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_survey_figures", FIGURES, unique=False)
        batch_op.drop_index("ix_responses_survey_status")
    with op.batch_alter_table("section_progress", schema=None) as batch_op:
        batch_op.create_index(
            "ix_section_progress_section", ["section_id", "completed_at"], unique=False
        )
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("answers", schema=None) as batch_op:
            batch_op.create_index(
                "ix_answers_question_value", ["question_id", "value"], unique=False
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("answers", schema=None) as batch_op:
            batch_op.drop_index("ix_answers_question_value")
    with op.batch_alter_table("section_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_section_progress_section")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_survey_status", ["survey_id", "status"], unique=False)
        batch_op.drop_index("ix_responses_survey_figures")
