"""Database models (SQLAlchemy 2, typed). The schema itself is made by Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "researcher", "partner")
# A member federation: sees the dashboard of its own channels only (`User.channels`).
PARTNER = "partner"


def utcnow() -> datetime:
    return datetime.now(UTC)


def exists_on(dialect: str, item: Any) -> bool:
    """Whether the schema has `item` (an index, a table) on a `dialect` database: what the
    models give to some databases only is marked with `ddl_if(dialect=...)`."""
    condition = getattr(item, "_ddl_if", None)
    if condition is None or condition.dialect is None:
        return True
    names = condition.dialect
    return dialect in ((names,) if isinstance(names, str) else names)


def as_utc(value: datetime) -> datetime:
    """An aware UTC time: a naive one (as SQLite keeps them) is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is needed")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Survey(Base):
    """A survey people answer at /s/<slug>, with its schedule; its content is in versions."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    default_language: Mapped[str] = mapped_column(String(16))
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64))
    grace_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # True once an admin changed the schedule: reloading the file must not overwrite it.
    schedule_set_by_admin: Mapped[bool] = mapped_column(default=False)
    # Whom respondents may write to (shown on the closed page); set by admins.
    contact: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="survey", order_by="QuestionnaireVersion.version"
    )

    __table_args__ = (CheckConstraint("grace_minutes >= 0", name="grace_not_negative"),)


class QuestionnaireVersion(Base):
    """One loaded state of a questionnaire file; responses keep the version they started on."""

    __tablename__ = "questionnaire_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    version: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Read only when a process parses a version it has not parsed yet (questionnaire_of).
    source: Mapped[str] = mapped_column(Text, deferred=True)
    source_name: Mapped[str] = mapped_column(String(255))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="versions")

    __table_args__ = (
        UniqueConstraint("survey_id", "version", name="uq_questionnaire_versions_survey_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class SurveyResponse(Base):
    """One person's answers to one survey. Holds no IP address and no name."""

    __tablename__ = "responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not sequential
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id", ondelete="RESTRICT")
    )
    resume_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    late: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(64))
    consent_version: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    last_section: Mapped[str | None] = mapped_column(String(64))

    version: Mapped[QuestionnaireVersion] = relationship()

    __table_args__ = (
        CheckConstraint(
            "status IN ('in_progress', 'complete', 'screened_out')", name="status_known"
        ),
        CheckConstraint(
            "(status = 'complete') = (submitted_at IS NOT NULL)", name="submitted_iff_complete"
        ),
        CheckConstraint("NOT late OR status = 'complete'", name="late_only_when_complete"),
        # The dashboard's figures of a survey's responses (statuses, days, median time, channels,
        # languages, speeders by questionnaire version) are read from this index alone, never
        # from the rows.
        Index(
            "ix_responses_survey_figures",
            "survey_id",
            "status",
            "started_at",
            "submitted_at",
            "channel",
            "language",
            "questionnaire_version_id",
        ),
        # Exports walk a survey's responses in (started_at, id) order, a batch at a time.
        Index("ix_responses_survey_started", "survey_id", "started_at", "id"),
        # A partner's dashboard lists the ids of its channels' responses from this index alone,
        # and counts their answers and section progress against that list.
        Index("ix_responses_survey_channel", "survey_id", "channel", "id"),
    )


class _AnswerColumns:
    """The columns of one stored answer, keyed by response and question id."""

    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)


class Answer(_AnswerColumns, Base):
    """One answer (or other-specify text) of a response."""

    __tablename__ = "answers"
    # The dashboard counts the answers to a few questions by value from this index alone (at
    # 100,000 responses, a tenth of the table), keeping those of a partner's responses by their
    # id. SQLite only: PostgreSQL cannot index its json.
    __table_args__ = (
        Index("ix_answers_question_value", "question_id", "value", "response_id").ddl_if(
            dialect="sqlite"
        ),
    )


class PersonalAnswer(_AnswerColumns, Base):
    """An answer to a question marked personal (such as an email), kept apart from the rest."""

    __tablename__ = "personal_answers"


class SectionProgress(Base):
    """When a response first reached and last saved each section (drop-off, resume)."""

    __tablename__ = "section_progress"

    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    section_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    # The dashboard's drop-off (reached and finished, per section) is read from the first index
    # alone; a partner's, for the few responses of its channels, from the second.
    __table_args__ = (
        Index("ix_section_progress_section", "section_id", "completed_at"),
        Index("ix_section_progress_response", "response_id", "section_id", "completed_at"),
    )


class User(Base):
    """A person of the secretariat (admin), of the research team (researcher) or of a member
    federation (partner, who sees the responses of its own channels only)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]

    channel_rows: Mapped[list[UserChannel]] = relationship(
        cascade="all, delete-orphan", order_by="UserChannel.channel"
    )

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'researcher', 'partner')", name="role_known"),
    )

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels (?via= tags) a partner sees, in alphabetical order; none for others."""
        return tuple(row.channel for row in self.channel_rows)


class UserChannel(Base):
    """A channel whose responses a partner account sees."""

    __tablename__ = "user_channels"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)


class AdminSession(Base):
    """A signed-in session of the admin console, kept on the server: the browser's cookie holds
    only a random token whose SHA-256 is `id`. Deleting the row signs that browser out."""

    __tablename__ = "admin_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class AuditEvent(Base):
    """One change or sign-in: who, when, what, on what, and the state before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A copy of who it was (an email, or "command line"), kept if the account goes.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(254))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class ExportJob(Base):
    """An export made in the background for the Exports page: who asked, with which options,
    how far it is, which worker holds it, and the name and size of the file it wrote (the file
    itself is in `export_chunks`, where every server reaches it)."""

    __tablename__ = "export_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(254))
    options: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int | None]
    file_name: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # Set by the job's worker while it runs: a job whose heartbeat stops has lost its worker.
    heartbeat_at: Mapped[datetime | None]
    # The worker holding the job ("host/boot/namespace:pid", survey.export.queue.worker_name),
    # and how many times a worker took it.
    worker: Mapped[str | None] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state_known"),
    )


class ExportChunk(Base):
    """A piece of a finished export's file, in order: the file lives in the database, so any
    server offers it, and is streamed a piece at a time."""

    __tablename__ = "export_chunks"

    job_id: Mapped[str] = mapped_column(
        ForeignKey("export_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
