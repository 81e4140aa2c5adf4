"""Accounts of admins, researchers and partners: argon2 password hashes, sign-in, roles, and
the channels a partner sees. Flushes, never commits: the request that calls it commits once."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from survey import audit, channels
from survey.models import PARTNER, ROLES, User, UserChannel

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so a wrong email takes as long as a wrong password
    (made on first use: hashing is deliberately slow, and imports should not pay for it)."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why."""


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError(f"{email.strip()!r} is not a valid email address") from None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of: {', '.join(ROLES)}")


def check_channels(role: str, given: Iterable[str]) -> tuple[str, ...]:
    """The channels an account of `role` is given, checked and in order: a partner needs at
    least one, other roles see every channel and have none."""
    try:
        tags = channels.tags(given)
    except channels.ChannelError as problem:
        raise AccountError(str(problem)) from None
    if role == PARTNER and not tags:
        raise AccountError("a partner needs at least one channel (the ?via= tag of its links)")
    if role != PARTNER and tags:
        raise AccountError(
            "only partners have channels: an admin or a researcher sees every channel"
        )
    return tags


def channels_of(user: User) -> tuple[str, ...] | None:
    """The channels an account may use: a partner's own, or None for every channel (admins
    and researchers)."""
    return user.channels if user.role == PARTNER else None


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def check_new_password(password: str) -> None:
    if password and not password.strip():
        # The sign-in form reads a password of spaces only as none given: it could never be
        # used (spaces around other characters are kept, and count).
        raise AccountError("a password cannot be spaces only")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password can have at most {MAX_PASSWORD_LENGTH} characters")


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def count_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active)
        )
        or 0
    )


def all_users(session: Session) -> list[User]:
    """Every account, by email, with its channels."""
    query = select(User).options(selectinload(User.channel_rows)).order_by(User.email)
    return list(session.scalars(query))


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    password: str,
    actor: User | None,
    now: datetime,
    channels: Iterable[str] = (),
) -> User:
    """Add an account (audited), a partner with its channels; AccountError for a bad email,
    role, password or channel, or a duplicate."""
    address = normalize_email(email)
    _check_role(role)
    tags = check_channels(role, channels)
    check_new_password(password)
    user = User(
        email=address,
        password_hash=_hasher.hash(password),
        role=role,
        active=True,
        created_at=now,
        password_changed_at=now,
        channel_rows=[UserChannel(channel=tag) for tag in tags],
    )
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise AccountError(f"an account for {address} already exists") from None
    after: dict[str, object] = {"email": address, "role": role, "active": True}
    if tags:
        after["channels"] = list(tags)
    audit.record(session, actor=actor, action="user.add", at=now, target=address, after=after)
    return user


def authenticate(session: Session, email: str, password: str, now: datetime) -> User | None:
    """The active user with these credentials, or None; every attempt is audited.

    Every attempt checks one password hash (a stand-in one for an unknown email), so unknown,
    disabled and active accounts take the same time to answer. Repeated failures are slowed
    by the sign-in page, per address (survey.admin.signing_in), never by locking an account.
    """
    address = email.strip().lower()[:254]
    user = find_user(session, address)
    verified = _verify(user.password_hash if user is not None else None, password)
    if user is None or not user.active or not verified:
        audit.record(
            session, actor=None, action="sign_in.failed", at=now, target=address, actor_text=address
        )
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_sign_in_at = now
    # A partner's sign-in says which channels it opened the console to.
    seen = channels_of(user)
    after = None if seen is None else {"channels": list(seen)}
    audit.record(session, actor=user, action="sign_in", at=now, target=address, after=after)
    return user


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def change_password(session: Session, user: User, *, current: str, new: str, now: datetime) -> None:
    if not _verify(user.password_hash, current):
        raise AccountError("the current password is not right")
    check_new_password(new)
    user.password_hash = _hasher.hash(new)
    user.password_changed_at = now
    audit.record(session, actor=user, action="user.password", at=now, target=user.email)


def update_user(
    session: Session,
    user: User,
    *,
    role: str,
    active: bool,
    actor: User | None,
    now: datetime,
    channels: Iterable[str] | None = None,
) -> None:
    """Change a role, (dis)able an account or change a partner's channels (None: keep them,
    or drop them when the account stops being a partner); the last active admin is never
    removed. Each change is audited."""
    _check_role(role)
    if channels is None:
        channels = user.channels if role == PARTNER else ()
    tags = check_channels(role, channels)
    before = {"role": user.role, "active": user.active}
    after = {"role": role, "active": active}
    if before != after:
        losing_admin = user.role == "admin" and user.active and (role != "admin" or not active)
        if losing_admin and count_admins(session) <= 1:
            raise AccountError("this is the last active admin; add another admin first")
        user.role = role
        user.active = active
        audit.record(
            session,
            actor=actor,
            action="user.update",
            at=now,
            target=user.email,
            before=before,
            after=after,
        )
    _replace_channels(session, user, tags, actor=actor, now=now)


def _replace_channels(
    session: Session, user: User, tags: tuple[str, ...], *, actor: User | None, now: datetime
) -> None:
    before = user.channels
    if before == tags:
        return
    kept = [row for row in user.channel_rows if row.channel in tags]
    added = [UserChannel(channel=tag) for tag in tags if tag not in before]
    user.channel_rows = sorted(kept + added, key=lambda row: row.channel)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.channels",
        at=now,
        target=user.email,
        before={"channels": list(before)},
        after={"channels": list(tags)},
    )
