"""questionnaire version in the figures index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 06:00:00

The dashboard's quality figures count a survey's complete responses per questionnaire version
(a speeder is judged against the median of its own version): the index its figures are read
from holds the version too, so those counts, and each version's median, read no row either.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = ["survey_id", "status", "started_at", "submitted_at", "channel", "language"]


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_survey_figures")
        batch_op.create_index(
            "ix_responses_survey_figures", [*FIGURES, "questionnaire_version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_survey_figures")
        batch_op.create_index("ix_responses_survey_figures", FIGURES, unique=False)
