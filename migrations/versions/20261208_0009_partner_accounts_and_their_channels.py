"""partner accounts and their channels

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00

A third role, partner (a member federation), and the channels (?via= tags) each partner
account sees. On SQLite the users table is rebuilt to change its CHECK constraint: other tables
refer to it, so this runs with foreign keys off (`survey init` and `alembic upgrade` turn them
off, see survey.db.foreign_keys_off) and refuses to run otherwise while accounts exist, since
dropping the old table would then end every sign-in and forget who wrote the audit log; the
references to accounts are checked afterwards.

A partner's dashboard counts the responses of its channels only, as fast as the whole survey's:
an index lists the ids of a survey's responses by channel, one on section progress by response
holds what the drop-off counts, and (SQLite) the index of answers by question and value also
holds their response, so that the answers of a partner's responses are counted from it alone.

Downgrading deletes the partner accounts (the role did not exist before); what they did stays
in the audit log, without the link to their account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE_CHECK = "ck_users_role_known"
# The tables whose rows refer to accounts.
REFERRING = ("admin_sessions", "audit_events", "export_jobs")


def _set_roles(roles: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        enforced = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
        accounts = bind.execute(sa.text("SELECT count(*) FROM users")).scalar()
        if enforced and accounts:
            raise RuntimeError(
                "migration 0009 rebuilds the users table: run it with foreign keys off "
                "(survey init does)"
            )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(ROLE_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(ROLE_CHECK), sa.text(f"role IN ({roles})"))
    if bind.dialect.name == "sqlite":
        for table in REFERRING:
            broken = bind.exec_driver_sql(f"PRAGMA foreign_key_check({table})").fetchall()
            if broken:
                raise RuntimeError(f"rows of {table} refer to accounts that are gone: {broken}")


def _answers_index(columns: list[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("answers", schema=None) as batch_op:
            batch_op.drop_index("ix_answers_question_value")
            batch_op.create_index("ix_answers_question_value", columns, unique=False)


def upgrade() -> None:
    _set_roles("'admin', 'researcher', 'partner'")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_responses_survey_channel", ["survey_id", "channel", "id"], unique=False
        )
    with op.batch_alter_table("section_progress", schema=None) as batch_op:
        batch_op.create_index(
            "ix_section_progress_response",
            ["response_id", "section_id", "completed_at"],
            unique=False,
        )
    _answers_index(["question_id", "value", "response_id"])
    op.create_table(
        "user_channels",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_channels_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "channel", name=op.f("pk_user_channels")),
    )


def downgrade() -> None:
    _answers_index(["question_id", "value"])
    with op.batch_alter_table("section_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_section_progress_response")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_survey_channel")
    op.drop_table("user_channels")
    # Foreign keys may be off (SQLite): what refers to a partner is let go of by hand.
    partners = "SELECT id FROM users WHERE role = 'partner'"
    op.execute(f"UPDATE audit_events SET actor_id = NULL WHERE actor_id IN ({partners})")
    op.execute(f"UPDATE export_jobs SET created_by_id = NULL WHERE created_by_id IN ({partners})")
    op.execute(f"DELETE FROM admin_sessions WHERE user_id IN ({partners})")
    op.execute("DELETE FROM users WHERE role = 'partner'")
    _set_roles("'admin', 'researcher'")
