"""The SSO's people: registration, email confirmation, password sign-in with lockout, unlock.

Passwords are hashed with argon2id (memory-hard); the Werkzeug hashes of seeded people are still
accepted and upgraded at their next SSO sign-in. Every authentication decision is appended to the
audit chain ``auth:<user id>`` (``auth:unknown`` for an address nobody registered), never with the
password or the citizen ID. The citizen ID is stored only encrypted and as a keyed digest
(``services/citizen_id``).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from eplan_flow.errors import DomainError, GuardFailed, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import REQUESTED_ROLES, Account, Organisation, User
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import has_role
from eplan_flow.services import audit, citizen_id, engine, mail

# -- errors ----------------------------------------------------------------------------------------


class DuplicateCitizenId(InvalidInput):
    """Someone already registered this citizen ID (one account per person)."""

    code = "duplicate_citizen_id"
    status = 409


class DuplicateEmail(InvalidInput):
    code = "duplicate_email"
    status = 409


class WeakPassword(InvalidInput):
    """The password breaks a strength rule; ``details["problems"]`` names each."""

    code = "weak_password"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401


class AccountLocked(DomainError):
    """Too many failed sign-ins in a row: only an admin can unlock the account."""

    code = "account_locked"
    status = 403


class AccountDisabled(DomainError):
    code = "account_disabled"
    status = 403


class TokenInvalid(InvalidInput):
    code = "token_invalid"
    status = 400


class TokenExpired(TokenInvalid):
    code = "token_expired"


class TokenUsed(TokenInvalid):
    """The link was already used (the address is confirmed)."""

    code = "token_used"


class NotLocked(GuardFailed):
    code = "not_locked"


# -- passwords -------------------------------------------------------------------------------------

# argon2-cffi's defaults are RFC 9106's low-memory profile: argon2id, 64 MiB, 3 passes, 4 lanes.
_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# Refused whatever their length; compared in lower case and with separators removed.
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password12", "password123", "password1234", "passwordpassword",
    "p@ssw0rd", "p@ssw0rd123", "p@ssword1234", "qwerty", "qwerty123", "qwerty123456", "qwertyuiop",
    "qwertyuiop123", "asdfghjkl", "asdfghjkl123", "zxcvbnm123", "1q2w3e4r5t6y", "1qaz2wsx3edc",
    "123456789012", "1234567890", "12345678910", "123456789abc", "abc123456789", "abcd1234abcd",
    "abcdefghijkl", "iloveyou", "iloveyou1234", "welcome", "welcome12345", "welcome@123",
    "admin", "admin1234567", "administrator", "letmein", "letmein12345", "changeme", "changeme1234",
    "football", "baseball", "sunshine", "princess", "monkey123456", "dragon123456", "master123456",
    "trustno1", "superman", "starwars", "thailand", "thailand1234", "bangkok", "bangkok12345",
    "sawasdee", "sawasdee1234", "eplan", "eplan1234", "eplanflow", "eplan-flow", "dla12345678",
})
PASSWORD_PROBLEMS = (
    "too_short", "too_long", "one_class", "too_simple", "contains_email", "contains_citizen_id",
    "common",
)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password")


def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password`` against an argon2 hash or a legacy Werkzeug (scrypt, pbkdf2) hash."""
    if not stored:
        # Spend the same effort as a real check, so the answer's timing does not tell.
        _verify_argon2(_dummy_hash(), password)
        return False
    if stored.startswith("$argon2"):
        return _verify_argon2(stored, password)
    try:
        return check_password_hash(stored, password)
    except ValueError:  # not a hash Werkzeug knows
        return False


def _verify_argon2(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str | None) -> bool:
    """Whether a hash should be replaced by a fresh argon2id one (legacy or weaker parameters)."""
    if not stored:
        return False
    if not stored.startswith("$argon2"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _char_classes(password: str) -> int:
    classes = set()
    for ch in password:
        if "a" <= ch <= "z":
            classes.add("lower")
        elif "A" <= ch <= "Z":
            classes.add("upper")
        elif ch.isdigit():
            classes.add("digit")
        elif ch.isalpha():
            classes.add("other_letter")  # Thai and other scripts
        else:
            classes.add("symbol")
    return len(classes)


def password_problems(password: str, *, email: str | None = None, citizen_id: str | None = None) -> list[str]:
    """The strength rules ``password`` breaks, as codes from ``PASSWORD_PROBLEMS`` (none: fine)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append("too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append("too_long")
    if _char_classes(password) < 2:
        problems.append("one_class")
    if len(set(password)) < 5:
        problems.append("too_simple")
    lowered = password.lower()
    local = (email or "").strip().lower().partition("@")[0]
    if len(local) >= 3 and local in lowered:
        problems.append("contains_email")
    digits = "".join(ch for ch in (citizen_id or "") if ch.isdigit())
    bare = re.sub(r"[\s\-]", "", password)
    if len(digits) == 13 and (digits in bare or digits[-6:] in bare):
        problems.append("contains_citizen_id")
    if lowered in COMMON_PASSWORDS or re.sub(r"[\s\-_.]", "", lowered) in COMMON_PASSWORDS:
        problems.append("common")
    return problems


# -- input -----------------------------------------------------------------------------------------
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The username column holds the address, so an address is at most as long as a username.
MAX_EMAIL_LENGTH = 80


def normalise_email(raw: str | None) -> str:
    value = (raw or "").strip().lower()
    if not value or len(value) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.match(value):
        raise InvalidInput("the email address is not valid", field="email")
    return value


def normalise_phone(raw: str | None) -> str | None:
    value = re.sub(r"[\s\-()]", "", raw or "")
    if not value:
        return None
    if value.startswith("+66"):
        value = "0" + value[3:]
    if not value.isdigit() or not 9 <= len(value) <= 10 or not value.startswith("0"):
        raise InvalidInput("the phone number is not valid", field="phone")
    return value


def _text(field: str, raw: str | None, limit: int, *, required: bool = True) -> str | None:
    value = " ".join((raw or "").split())
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL characters", field=field)
    if required and not value:
        raise InvalidInput(f"{field} is required", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return value or None


def full_name(title: str | None, first_name: str, last_name: str) -> str:
    """Thai style: the title joined to the first name (นายสมชาย ใจดี)."""
    return f"{title or ''}{first_name} {last_name}".strip()


def _organisation(organisation_id) -> Organisation:
    try:
        org = db.session.get(Organisation, int(organisation_id))
    except (TypeError, ValueError):
        org = None
    if org is None or not org.is_active:
        raise InvalidInput("choose the organisation you work for", field="organisation_id")
    return org


def _requested_role(raw: str | None) -> str:
    if raw not in REQUESTED_ROLES:
        raise InvalidInput("the requested role must be member or sso_admin", field="requested_role")
    return raw


def search_organisations(query: str | None, limit: int = 20) -> list[Organisation]:
    """Active organisations whose code starts with, or whose name contains, ``query``."""
    text = " ".join((query or "").split())[:100]
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        db.session.execute(
            select(Organisation)
            .where(Organisation.is_active.is_(True))
            .where(
                Organisation.code.startswith(text, autoescape=True)
                | Organisation.name_th.ilike(pattern, escape="\\")
                | func.coalesce(Organisation.name_en, "").ilike(pattern, escape="\\")
            )
            .order_by(Organisation.code)
            .limit(limit)
        ).scalars()
    )


# -- registration and confirmation -----------------------------------------------------------------
CONFIRM_SALT = "sso-confirm-email"
CONFIRM_MAX_AGE = 2 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirmation_token(account: Account) -> str:
    # The address is part of the token: a link sent to an old address stops working.
    return _serializer().dumps({"account": account.id, "email": account.user.email})


def _default_link(token: str) -> str:
    if not has_request_context():
        raise RuntimeError("give register() a link builder outside a request")
    return url_for("sso.confirm_email", token=token, _external=True)


@dataclass
class Registration:
    """What a person gives when they register."""

    citizen_id: str
    title: str
    first_name: str
    last_name: str
    email: str
    organisation_id: int
    password: str
    phone: str | None = None
    position: str | None = None
    requested_role: str = "member"


def register(form: Registration, *, link: Callable[[str], str] | None = None) -> Account:
    """Create the person, their account on its workflow and the confirmation email, in one commit."""
    pid = citizen_id.normalise(form.citizen_id)
    email = normalise_email(form.email)
    problems = password_problems(form.password or "", email=email, citizen_id=pid)
    if problems:
        raise WeakPassword("the password is too weak", field="password", problems=problems)
    title = _text("title", form.title, 40, required=False)
    first = _text("first_name", form.first_name, 80)
    last = _text("last_name", form.last_name, 80)
    position = _text("position", form.position, 200, required=False)
    phone = normalise_phone(form.phone)
    org = _organisation(form.organisation_id)
    role = _requested_role(form.requested_role)
    digest = citizen_id.digest(pid)
    try:
        _refuse_duplicates(digest, email)
        now = utcnow()
        user = User(
            username=email, email=email, full_name=full_name(title, first, last), position=position,
            organisation_id=org.id, password_hash=hash_password(form.password), phone=phone,
            citizen_id_encrypted=citizen_id.encrypt(pid), citizen_id_digest=digest,
            password_changed_at=now, failed_login_count=0, is_enabled=True,
        )
        db.session.add(user)
        db.session.flush()
        account = Account(user_id=user.id, organisation_id=org.id, requested_role=role)
        account.user = user
        engine.start(account, user, data={"organisation": org.code, "requested_role": role})
        audit.append(_chain(user), "registered", actor=user, organisation_id=org.id,
                     data={"account_id": account.id})
        token = confirmation_token(account)
        _queue_confirmation(user, (link or _default_link)(token))
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        mail.forget_queued()
        raise _duplicate_from(exc) from None
    except BaseException:
        db.session.rollback()
        mail.forget_queued()
        raise
    mail.relay_queued()
    return account


def _refuse_duplicates(digest: str, email: str) -> None:
    if db.session.scalar(select(User.id).where(User.citizen_id_digest == digest)):
        raise DuplicateCitizenId("an account with this citizen ID already exists", field="citizen_id")
    if db.session.scalar(
        select(User.id).where((func.lower(User.email) == email) | (func.lower(User.username) == email))
    ):
        raise DuplicateEmail("an account with this email address already exists", field="email")


def _duplicate_from(exc: IntegrityError) -> DomainError:
    """Two registrations of the same person at once: the database's unique constraints decide."""
    text = str(exc.orig)
    if "citizen_id_digest" in text:
        return DuplicateCitizenId("an account with this citizen ID already exists", field="citizen_id")
    if "email" in text or "username" in text:
        return DuplicateEmail("an account with this email address already exists", field="email")
    return InvalidInput("the registration conflicts with an existing account")


def _queue_confirmation(user: User, url: str) -> None:
    # The message is for the person, in Thai first (the default locale) with English beneath.
    body = (
        f"เรียน {user.full_name}\n\n"
        "โปรดยืนยันที่อยู่อีเมลของบัญชี Single Sign-On ของท่านโดยเปิดลิงก์นี้ภายใน 2 วัน:\n"
        f"{url}\n\n"
        "หากท่านไม่ได้ลงทะเบียน โปรดเพิกเฉยต่ออีเมลนี้\n\n"
        "Please confirm the email address of your Single Sign-On account within 2 days:\n"
        f"{url}\n"
    )
    mail.queue_mail(user.email, "ยืนยันอีเมล บัญชี Single Sign-On (Confirm your email address)", body,
                    user_id=user.id)


def resend_confirmation(user: User, *, link: Callable[[str], str] | None = None) -> bool:
    """Send the confirmation link again while the address is unconfirmed; return whether sent."""
    account = account_of(user)
    if account is None or account.status != "registered":
        return False
    try:
        _queue_confirmation(user, (link or _default_link)(confirmation_token(account)))
        audit.append(_chain(user), "confirmation_resent", actor=user, organisation_id=user.organisation_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        mail.forget_queued()
        raise
    mail.relay_queued()
    return True


def confirm_email(token: str) -> Account:
    """Confirm the address a link was sent to: fire ``confirm_email`` on the person's account."""
    try:
        payload = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        raise TokenExpired("the confirmation link has expired; ask for a new one") from None
    except BadSignature:
        raise TokenInvalid("the confirmation link is not valid") from None
    account = db.session.get(Account, payload.get("account")) if isinstance(payload, dict) else None
    if account is None or account.user.email != payload.get("email"):
        raise TokenInvalid("the confirmation link is not valid")
    if account.status != "registered" or account.user.email_confirmed_at is not None:
        raise TokenUsed("the confirmation link was already used")
    engine.fire("account", account.id, "confirm_email", account.user)
    return account


@engine.on_enter("account", "email_confirmed")
def _mark_email_confirmed(account, actor, from_state, to_state, data) -> None:
    account.user.email_confirmed_at = utcnow()


def account_of(user: User) -> Account | None:
    return db.session.execute(select(Account).where(Account.user_id == user.id)).scalar_one_or_none()


# -- sign-in, lockout and unlock -------------------------------------------------------------------
def _chain(user: User | None) -> str:
    return f"auth:{user.id}" if user is not None else "auth:unknown"


def _audit_auth(user: User | None, action: str, *, actor=None, ip: str | None = None, **data) -> None:
    if ip:
        data["ip"] = ip[:64]
    audit.append(_chain(user), action, actor=actor, organisation_id=user.organisation_id if user else None,
                 data=data)


def _find_by_email(email: str) -> User | None:
    value = (email or "").strip().lower()
    if not value:
        return None
    return db.session.execute(select(User).where(func.lower(User.email) == value)).scalar_one_or_none()


def authenticate(email: str, password: str, ip: str | None = None) -> User:
    """Check an SSO sign-in; return the person or raise, auditing the decision either way.

    LOGIN_LOCKOUT_THRESHOLD failures in a row lock the account; a locked account is refused even
    with the right password until an admin unlocks it.
    """
    try:
        user = _find_by_email(email)
        if user is None:
            verify_password(None, password)
            _audit_auth(None, "login_failed", ip=ip, reason="unknown_email")
            db.session.commit()
            raise InvalidCredentials("wrong email address or password")
        return check_password(user, password, ip, success="login", upgrade=True)
    except BaseException:
        db.session.rollback()
        mail.forget_queued()
        raise
    finally:
        mail.relay_queued()


def reauthenticate(user: User, password: str, ip: str | None = None) -> User:
    """Check the signed-in person's password again (before approvals); failures count to lockout."""
    try:
        return check_password(user, password, ip, success="reauthenticated", upgrade=False)
    except BaseException:
        db.session.rollback()
        mail.forget_queued()
        raise
    finally:
        mail.relay_queued()


def check_password(
    user: User, password: str, ip: str | None = None, *, success: str = "login", upgrade: bool = False
) -> User:
    """Decide one password check (SSO sign-in, re-authentication, the development login); commits.

    The caller rolls back and relays queued mail (``mail.relay_queued``) around it.
    """
    if user.locked_at is not None:
        verify_password(None, password)
        _audit_auth(user, "login_refused_locked", ip=ip, attempt=success)
        db.session.commit()
        raise AccountLocked("the account is locked after repeated failed sign-ins")
    if not user.is_enabled:
        verify_password(None, password)
        _audit_auth(user, "login_refused_disabled", ip=ip, attempt=success)
        db.session.commit()
        raise AccountDisabled("the account is disabled")
    if verify_password(user.password_hash, password):
        if upgrade and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.failed_login_count = 0
        user.last_login_at = utcnow()
        _audit_auth(user, success, actor=user, ip=ip)
        db.session.commit()
        return user
    locked = _count_failure(user)
    _audit_auth(user, "login_failed" if success == "login" else "reauth_failed", ip=ip,
                reason="wrong_password")
    if locked:
        _audit_auth(user, "account_locked", ip=ip, failures=current_app.config["LOGIN_LOCKOUT_THRESHOLD"])
        _queue_lock_notice(user)
    db.session.commit()
    mail.relay_queued()  # now: the refusal below makes callers forget what is queued
    if locked:
        raise AccountLocked("the account is locked after repeated failed sign-ins")
    raise InvalidCredentials("wrong email address or password")


def _count_failure(user: User) -> bool:
    """Add one failure atomically (concurrent bursts count exactly); return whether it just locked."""
    now = utcnow()
    threshold = current_app.config["LOGIN_LOCKOUT_THRESHOLD"]
    table = User.__table__
    count, locked_at = db.session.execute(
        update(table)
        .where(table.c.id == user.id)
        .values(
            failed_login_count=table.c.failed_login_count + 1,
            locked_at=case(
                ((table.c.locked_at.is_(None)) & (table.c.failed_login_count + 1 >= threshold), now),
                else_=table.c.locked_at,
            ),
        )
        .returning(table.c.failed_login_count, table.c.locked_at)
    ).one()
    db.session.expire(user, ["failed_login_count", "locked_at"])
    return locked_at is not None and locked_at == now


def _queue_lock_notice(user: User) -> None:
    if not user.email:
        return
    body = (
        f"เรียน {user.full_name}\n\n"
        "บัญชี Single Sign-On ของท่านถูกล็อกเนื่องจากใส่รหัสผ่านผิดหลายครั้งติดต่อกัน "
        "โปรดติดต่อผู้ดูแลระบบ SSO ของหน่วยงานเพื่อปลดล็อก หากไม่ใช่ท่าน โปรดแจ้งผู้ดูแลระบบทันที\n\n"
        "Your Single Sign-On account was locked after repeated failed sign-ins. Ask your "
        "organisation's SSO admin to unlock it; if this was not you, tell them at once.\n"
    )
    mail.queue_mail(user.email, "บัญชีถูกล็อก (Your account was locked)", body, user_id=user.id)


def can_unlock(actor, user: User) -> bool:
    """The person's own LAO SSO admin, the provincial office over them, or DLA unlocks them."""
    org = user.organisation
    return any(has_role(actor, role, org) for role in ("sso_admin", "provincial_officer", "dla_admin"))


def unlock(user_id: int, actor) -> User:
    """Unlock a locked account and clear its failure count, audited."""
    try:
        user = db.session.execute(
            select(User).where(User.id == user_id).with_for_update(of=User)
            .execution_options(populate_existing=True)
        ).unique().scalar_one_or_none()
        if user is None or not (can_unlock(actor, user) or _may_read(actor, user)):
            raise NotFound(f"user #{user_id} not found", id=user_id)
        if not can_unlock(actor, user):
            raise PermissionDenied("only the SSO admin, the provincial office or DLA unlocks accounts",
                                   roles=["sso_admin", "provincial_officer", "dla_admin"])
        if user.locked_at is None:
            raise NotLocked("the account is not locked")
        user.locked_at = None
        user.failed_login_count = 0
        _audit_auth(user, "unlocked", actor=actor)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return user


def _may_read(actor, user: User) -> bool:
    from eplan_flow.permissions import can_read

    return can_read(actor, user.organisation)


def record_logout(user: User, ip: str | None = None) -> None:
    """Audit an SSO sign-out."""
    try:
        _audit_auth(user, "logout", actor=user, ip=ip)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


# -- a rejected applicant fixes their details and applies again -----------------------------------
@dataclass
class Details:
    """What a rejected applicant may correct (the citizen ID and email are fixed: both verified)."""

    title: str
    first_name: str
    last_name: str
    organisation_id: int
    phone: str | None = None
    position: str | None = None
    requested_role: str = "member"


def change_details(user: User, details: Details, *, comment: str | None = None) -> engine.FireResult:
    """Correct a rejected application and fire ``reapply``, in one commit."""
    account = account_of(user)
    if account is None:
        raise NotFound("no SSO account for this person")
    if account.status != "rejected":
        raise GuardFailed("only a rejected application can be corrected and sent again", trigger="reapply")
    title = _text("title", details.title, 40, required=False)
    first = _text("first_name", details.first_name, 80)
    last = _text("last_name", details.last_name, 80)
    position = _text("position", details.position, 200, required=False)
    phone = normalise_phone(details.phone)
    org = _organisation(details.organisation_id)
    role = _requested_role(details.requested_role)
    try:
        values = {"full_name": full_name(title, first, last), "position": position, "phone": phone,
                  "organisation_id": org.id}
        changed = sorted(name for name, value in values.items() if getattr(user, name) != value)
        for name, value in values.items():
            setattr(user, name, value)
        if changed:
            _audit_auth(user, "details_changed", actor=user, fields=changed)
        # The account's organisation and role move with the step (entry action below).
        return engine.fire(
            "account", account.id, "reapply", user, comment=comment,
            data={"organisation": org.code, "requested_role": role},
        )
    except BaseException:
        db.session.rollback()
        raise


@engine.on_enter("account", "awaiting_approval")
def _apply_corrected_details(account, actor, from_state, to_state, data) -> None:
    if from_state != "rejected" or not data:
        return
    values = {}
    code, role = data.get("organisation"), data.get("requested_role")
    if code:
        org_id = db.session.scalar(select(Organisation.id).where(Organisation.code == code))
        if org_id is not None and org_id != account.organisation_id:
            values["organisation_id"] = org_id
    if role in REQUESTED_ROLES and role != account.requested_role:
        values["requested_role"] = role
    if values:
        engine.write_columns(account, **values)
