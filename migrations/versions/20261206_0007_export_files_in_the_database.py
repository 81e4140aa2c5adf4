"""export files kept in the database; export jobs taken from a queue by any server's worker

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:30:00

An export's file was left on the disk of the server whose process wrote it, so another server
could not offer it. Files now live in `export_chunks` (the file cut in pieces of 1
MiB, read back one piece at a time). A job records which worker holds it and how many times it
was taken, so a job whose worker died is taken again, once.

Files of finished jobs still on this server's disk are moved into the database; a finished
job whose file is not there any more is marked failed with the reason.
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK_BYTES = 1024 * 1024  # as survey.export.queue stores them

_jobs = sa.table(
    "export_jobs",
    sa.column("id", sa.String),
    sa.column("state", sa.String),
    sa.column("file_name", sa.String),
    sa.column("size_bytes", sa.Integer),
    sa.column("error", sa.Text),
)
_chunks = sa.table(
    "export_chunks",
    sa.column("job_id", sa.String),
    sa.column("number", sa.Integer),
    sa.column("data", sa.LargeBinary),
)


def _exports_path() -> Path:
    folder = context.config.attributes.get("exports_path")
    if folder:
        return Path(folder)
    from survey.settings import Settings

    return Settings.from_environment().exports_path


def upgrade() -> None:
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("worker", sa.String(length=120), nullable=True))
        batch_op.create_index(batch_op.f("ix_export_jobs_state"), ["state"], unique=False)
    op.create_table(
        "export_chunks",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["export_jobs.id"],
            name=op.f("fk_export_chunks_job_id_export_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "number", name=op.f("pk_export_chunks")),
    )
    _move_files_in()


def _move_files_in() -> None:
    connection = op.get_bind()
    finished = connection.execute(
        sa.select(_jobs.c.id, _jobs.c.file_name).where(_jobs.c.state == "done")
    ).all()
    if not finished:
        return
    folder = _exports_path().resolve()
    for job_id, file_name in finished:
        path = (folder / str(file_name)).resolve() if file_name else None
        if path is None or path.parent != folder or not path.is_file():
            connection.execute(
                _jobs.update()
                .where(_jobs.c.id == job_id)
                .values(state="failed", error="the file of this export is gone; export again")
            )
            continue
        with path.open("rb") as source:
            for number, data in enumerate(iter(lambda: source.read(CHUNK_BYTES), b"")):
                connection.execute(_chunks.insert().values(job_id=job_id, number=number, data=data))


def downgrade() -> None:
    op.drop_table("export_chunks")
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_jobs_state"))
        batch_op.drop_column("worker")
        batch_op.drop_column("attempts")
