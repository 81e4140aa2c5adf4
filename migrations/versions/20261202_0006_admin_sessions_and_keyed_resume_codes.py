"""admin sessions kept on the server; resume codes stored under a keyed hash

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:30:00

Resume codes were stored as SHA-256(code). They become HMAC(resume key, SHA-256(code)): every
stored hash is rewritten under the key, so every existing code keeps working. The key is the
one the app uses (handed over by `survey init`, else read from the settings).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from survey import resume_codes

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_responses = sa.table(
    "responses", sa.column("id", sa.String), sa.column("resume_code_hash", sa.String)
)


def _resume_key() -> str:
    key = context.config.attributes.get("resume_key")
    if key:
        return str(key)
    from survey.settings import Settings

    return Settings.from_environment().resume_key


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_admin_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sessions")),
    )
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_sessions_user_id"), ["user_id"], unique=False)

    connection = op.get_bind()
    rows = connection.execute(sa.select(_responses.c.id, _responses.c.resume_code_hash)).all()
    if rows:
        key = _resume_key()
        connection.execute(
            _responses.update()
            .where(_responses.c.id == sa.bindparam("row_id"))
            .values(resume_code_hash=sa.bindparam("keyed_hash")),
            [
                {"row_id": row_id, "keyed_hash": resume_codes.keyed(legacy, key)}
                for row_id, legacy in rows
            ],
        )


def downgrade() -> None:
    connection = op.get_bind()
    if connection.execute(sa.select(sa.func.count()).select_from(_responses)).scalar():
        raise RuntimeError(
            "resume codes are stored under a keyed hash, which cannot be turned back into the "
            "earlier unkeyed one; restore a backup made before this upgrade instead"
        )
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_sessions_user_id"))
    op.drop_table("admin_sessions")
