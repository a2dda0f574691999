"""The SSO's people: registration, email confirmation, password sign-in with lockout, unlock.

Nothing here tells a stranger whether an address or a citizen ID is registered: registering answers
the same whatever exists (an address that already has an account is sent a notice instead), and
every refused sign-in is one ``InvalidCredentials``. A citizen ID reserves nothing until ThaiD
proves who holds it (``services.thaid_verification``); unverified registrations are voided when the
owner proves the number, when their address's owner cancels them, or after
SSO_UNVERIFIED_REGISTRATION_DAYS. Lockouts are temporary and grow (LOGIN_LOCKOUT_*).

Passwords are hashed with argon2id (memory-hard); the Werkzeug hashes of seeded people are still
accepted and upgraded at their next SSO sign-in. Every authentication decision is appended to the
audit chain ``auth:<user id>`` (``auth:unknown:<n>`` for an address nobody registered), never with the
password or the citizen ID. The citizen ID is stored only encrypted and as a keyed digest
(``services/citizen_id``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal, TypeGuard, overload

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context, has_request_context
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from eplan_flow.addresses import external_url
from eplan_flow.collation import thai_collated
from eplan_flow.errors import DomainError, GuardFailed, InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db
from eplan_flow.models import REQUESTED_ROLES, Account, Organisation, User
from eplan_flow.models._types import UTCDateTime, utcnow
from eplan_flow.permissions import can_read, has_role
from eplan_flow.services.identity import citizen_id, sessions, thai_names
from eplan_flow.services.platform import audit, engine, mail
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.text import clean_text

# -- errors ----------------------------------------------------------------------------------------


class WeakPassword(InvalidInput):
    """The password breaks a strength rule; ``details["problems"]`` names each."""

    code = "weak_password"


class InvalidCredentials(DomainError):
    """Every refused sign-in, whatever the reason: the answer must not tell an unknown address, a
    wrong password, a paused or a disabled account apart (the audit trail records which)."""

    code = "invalid_credentials"
    status = 401


class AccountLocked(InvalidCredentials):
    """Sign-in is paused after failed sign-ins in a row (LOGIN_LOCKOUT_*); answers as a wrong password."""


class AccountDisabled(InvalidCredentials):
    """The account is disabled or voided; answers as a wrong password."""


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


class NameNotAsVerified(InvalidInput):
    """A name that is not the one ThaiD verified for the person's citizen ID."""

    code = "name_not_as_verified"


# -- passwords -------------------------------------------------------------------------------------

# argon2id with the parameters PASSWORD_HASH_* (OWASP's 19 MiB, 2 passes, 1 lane by default; outside
# an app, the same). argon2-cffi releases the GIL while hashing, so each concurrent check holds its
# memory at once: PASSWORD_HASH_CONCURRENCY bounds them per process.
_DEFAULT_PARAMETERS = (2, 19456, 1)
_DEFAULT_CONCURRENCY = 2


def _parameters() -> tuple[int, int, int]:
    if not has_app_context():
        return _DEFAULT_PARAMETERS
    config = current_app.config
    return (
        int(config.get("PASSWORD_HASH_TIME_COST", _DEFAULT_PARAMETERS[0])),
        int(config.get("PASSWORD_HASH_MEMORY_KIB", _DEFAULT_PARAMETERS[1])),
        int(config.get("PASSWORD_HASH_PARALLELISM", _DEFAULT_PARAMETERS[2])),
    )


@cache
def _hasher_with(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    return _hasher_with(*_parameters())


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_guard = threading.Lock()


def hash_slots() -> threading.BoundedSemaphore:
    """The process-wide semaphore every password hash or check holds (PASSWORD_HASH_CONCURRENCY)."""
    size = (
        int(current_app.config.get("PASSWORD_HASH_CONCURRENCY", _DEFAULT_CONCURRENCY))
        if has_app_context()
        else _DEFAULT_CONCURRENCY
    )
    with _slots_guard:
        return _slots.setdefault(max(size, 1), threading.BoundedSemaphore(max(size, 1)))


MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# Refused whatever their length; compared in lower case and with separators removed.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passwordpassword",
        "p@ssw0rd",
        "p@ssw0rd123",
        "p@ssword1234",
        "qwerty",
        "qwerty123",
        "qwerty123456",
        "qwertyuiop",
        "qwertyuiop123",
        "asdfghjkl",
        "asdfghjkl123",
        "zxcvbnm123",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "123456789012",
        "1234567890",
        "12345678910",
        "123456789abc",
        "abc123456789",
        "abcd1234abcd",
        "abcdefghijkl",
        "iloveyou",
        "iloveyou1234",
        "welcome",
        "welcome12345",
        "welcome@123",
        "admin",
        "admin1234567",
        "administrator",
        "letmein",
        "letmein12345",
        "changeme",
        "changeme1234",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "monkey123456",
        "dragon123456",
        "master123456",
        "trustno1",
        "superman",
        "starwars",
        "thailand",
        "thailand1234",
        "bangkok",
        "bangkok12345",
        "sawasdee",
        "sawasdee1234",
        "eplan",
        "eplan1234",
        "eplanflow",
        "eplan-flow",
        "dla12345678",
    }
)
PASSWORD_PROBLEMS = (
    "too_short",
    "too_long",
    "one_class",
    "too_simple",
    "contains_email",
    "contains_citizen_id",
    "common",
)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    hasher = _hasher()
    with hash_slots():
        return hasher.hash(password)


@cache
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher_with(time_cost, memory_kib, parallelism).hash("not-a-real-password")


def dummy_hash() -> str:
    """A hash with today's parameters: what an unknown address is checked against."""
    return _dummy_hash(*_parameters())


def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password`` against an argon2 hash or a legacy Werkzeug (scrypt, pbkdf2) hash."""
    if not stored:
        # Spend the same effort as a real check with today's parameters, so timing does not tell.
        _verify_argon2(dummy_hash(), password)
        return False
    if stored.startswith("$argon2"):
        return _verify_argon2(stored, password)
    try:
        with hash_slots():  # scrypt is memory-hard too
            return check_password_hash(stored, password)
    except ValueError:  # not a hash Werkzeug knows
        return False


def _verify_argon2(stored: str, password: str) -> bool:
    try:
        # Any hasher verifies any argon2 hash: the parameters are read from the hash itself.
        with hash_slots():
            return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str | None) -> bool:
    """Whether a hash should be replaced by a fresh argon2id one (legacy or weaker parameters)."""
    if not stored:
        return False
    if not stored.startswith("$argon2"):
        return True
    try:
        return _hasher().check_needs_rehash(stored)
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
    value = (clean_text(raw, field="email") or "").lower()
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


@overload
def _text(field: str, raw: str | None, limit: int, *, required: Literal[True] = True) -> str: ...


@overload
def _text(field: str, raw: str | None, limit: int, *, required: bool) -> str | None: ...


def _text(field: str, raw: str | None, limit: int, *, required: bool = True) -> str | None:
    return clean_text(raw, field=field, max_length=limit, required=required)


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
            .order_by(thai_collated(Organisation.name_th), Organisation.code)
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


def cancellation_token(account: Account) -> str:
    """A link for the owner of the address to drop a registration they did not make."""
    return _serializer().dumps({"account": account.id, "email": account.user.email, "cancel": True})


def _default_link(token: str) -> str:
    if not has_request_context():
        raise RuntimeError("give register() a link builder outside a request")
    return external_url("sso.confirm_email", token=token)


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
    # Compared with ThaiD's at verification (the registration page asks for it).
    birth_date: date | None = None


def _birth_date(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= utcnow().date():
        raise InvalidInput("the birth date is not possible", field="birth_date")
    return value


def register(form: Registration, *, link: Callable[[str], str] | None = None) -> Account | None:
    """Register a person with their confirmation email, or tell an address that already has an account.

    One commit either way. Returns the new account, or None when the address already had one (no
    second account; that address gets a notice instead): pages answer both alike, so nobody learns
    from them whether an address or a citizen ID is registered. The citizen ID reserves nothing
    until ThaiD proves who holds it. ``link`` turns a token into a URL at ``sso.confirm_email``
    (confirmation and cancellation links share it).
    """
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
    birth_date = _birth_date(form.birth_date)
    link = link or _default_link
    # Hashed whether or not the account is made, so the answer's timing does not tell either.
    password_hash = hash_password(form.password)
    for attempt in range(2):
        try:
            with transaction():
                holder = _holder_of(email)
                if holder is not None:
                    _queue_address_taken(holder, link)
                    return None
                return _create(
                    email=email,
                    name=full_name(title, first, last),
                    position=position,
                    phone=phone,
                    org=org,
                    role=role,
                    pid=pid,
                    password_hash=password_hash,
                    link=link,
                    birth_date=birth_date,
                )
        except IntegrityError:
            # A concurrent registration of the same address committed first: tell the address.
            if attempt == 0:
                continue
            raise InvalidInput("the registration conflicts with an existing account") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _holder_of(email: str) -> User | None:
    return db.session.execute(
        select(User).where((func.lower(User.email) == email) | (func.lower(User.username) == email)).limit(1)
    ).scalar_one_or_none()


def _create(*, email, name, position, phone, org, role, pid, password_hash, link, birth_date) -> Account:
    now = utcnow()
    user = User(
        username=email,
        email=email,
        full_name=name,
        birth_date=birth_date,
        position=position,
        organisation_id=org.id,
        password_hash=password_hash,
        phone=phone,
        citizen_id_encrypted=citizen_id.encrypt(pid),
        citizen_id_digest=citizen_id.digest(pid),
        password_changed_at=now,
        failed_login_count=0,
        is_enabled=True,
    )
    db.session.add(user)
    db.session.flush()
    account = Account(user_id=user.id, organisation_id=org.id, requested_role=role)
    account.user = user
    engine.start(account, user, data={"organisation": org.code, "requested_role": role})
    audit.append(
        _chain(user), "registered", actor=user, organisation_id=org.id, data={"account_id": account.id}
    )
    _queue_confirmation(user, link(confirmation_token(account)), link(cancellation_token(account)))
    return account


def _unconfirmed(account: Account | None) -> TypeGuard[Account]:
    return account is not None and account.status == "registered" and account.user.email_confirmed_at is None


def _queue_address_taken(holder: User, link: Callable[[str], str]) -> None:
    """Tell an address someone tried to register it again; audited on its owner's chain."""
    account = account_of(holder)
    cancel = ""
    if _unconfirmed(account):
        # Nobody has proven this address yet: its owner may drop the registration and start over.
        url = link(cancellation_token(account))
        cancel = (
            "บัญชีที่ใช้อีเมลนี้ยังไม่ได้ยืนยันอีเมล หากท่านไม่ได้ลงทะเบียนบัญชีนั้น ยกเลิกได้ที่ลิงก์นี้ "
            f"แล้วจึงลงทะเบียนใหม่:\n{url}\n\n"
            "The account with this address has never confirmed it. If you did not register it, cancel "
            f"it with this link, then register again:\n{url}\n\n"
        )
    body = (
        f"เรียน {holder.full_name}\n\n"
        "มีผู้พยายามลงทะเบียนบัญชี Single Sign-On ใหม่ด้วยอีเมลนี้ ซึ่งมีบัญชีอยู่แล้ว ระบบไม่ได้สร้างบัญชีที่สอง "
        "หากเป็นท่าน โปรดเข้าสู่ระบบด้วยอีเมลนี้ หากไม่ใช่ท่าน ไม่ต้องดำเนินการใด ๆ\n\n"
        "Someone tried to register a new Single Sign-On account with this email address, which already "
        "has an account; no second account was made. If it was you, sign in with this address. If it "
        "was not you, you need do nothing.\n\n"
        f"{cancel}"
    )
    # At most one a day: the notice must not become a way to flood someone's mailbox.
    mail.queue_mail(
        holder.email or holder.username,
        "มีผู้ลงทะเบียนด้วยอีเมลของท่าน (Registration with your email address)",
        body,
        user_id=holder.id,
        dedupe_key=f"registration-repeated:{holder.id}:{utcnow().date()}",
    )
    _audit_auth(holder, "registration_repeated")


def _queue_confirmation(user: User, url: str, cancel_url: str) -> None:
    if user.email is None:  # registration asks for the address this confirms
        raise ValueError(f"user {user.id} has no email address to confirm")
    # The message is for the person, in Thai first (the default locale) with English beneath.
    body = (
        f"เรียน {user.full_name}\n\n"
        "โปรดยืนยันที่อยู่อีเมลของบัญชี Single Sign-On ของท่านโดยเปิดลิงก์นี้ภายใน 2 วัน:\n"
        f"{url}\n\n"
        "หากท่านไม่ได้ลงทะเบียน โปรดยกเลิกการลงทะเบียนนี้ที่ลิงก์:\n"
        f"{cancel_url}\n\n"
        "Please confirm the email address of your Single Sign-On account within 2 days:\n"
        f"{url}\n\n"
        "If you did not register, cancel this registration:\n"
        f"{cancel_url}\n"
    )
    mail.queue_mail(
        user.email, "ยืนยันอีเมล บัญชี Single Sign-On (Confirm your email address)", body, user_id=user.id
    )


def resend_confirmation(user: User, *, link: Callable[[str], str] | None = None) -> bool:
    """Send the confirmation link again while the address is unconfirmed; return whether sent."""
    account = account_of(user)
    if account is None or account.status != "registered":
        return False
    link = link or _default_link
    with transaction():
        _queue_confirmation(user, link(confirmation_token(account)), link(cancellation_token(account)))
        audit.append(_chain(user), "confirmation_resent", actor=user, organisation_id=user.organisation_id)
    return True


def _load_link(token: str) -> dict:
    try:
        payload = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        raise TokenExpired("the link has expired; ask for a new one") from None
    except BadSignature:
        raise TokenInvalid("the link is not valid") from None
    if not isinstance(payload, dict):
        raise TokenInvalid("the link is not valid")
    return payload


def link_purpose(token: str) -> str:
    """``"cancel"`` for a link that drops a registration, else ``"confirm"`` (checked when used)."""
    try:
        return "cancel" if _load_link(token).get("cancel") else "confirm"
    except TokenInvalid:
        return "confirm"


def _account_for_link(payload: dict) -> Account:
    account = db.session.get(Account, payload.get("account"))
    if account is None or account.user.email is None or account.user.email != payload.get("email"):
        raise TokenInvalid("the link is not valid")
    return account


def confirm_email(token: str) -> Account:
    """Confirm the address a link was sent to: fire ``confirm_email`` on the person's account."""
    payload = _load_link(token)
    if payload.get("cancel"):
        raise TokenInvalid("a cancellation link confirms nothing")
    account = _account_for_link(payload)
    if account.status != "registered" or account.user.email_confirmed_at is not None:
        raise TokenUsed("the confirmation link was already used")
    engine.fire("account", account.id, "confirm_email", account.user)
    return account


def cancel_registration(token: str) -> None:
    """Void a registration whose address was never confirmed, at its address owner's request."""
    payload = _load_link(token)
    if not payload.get("cancel"):
        raise TokenInvalid("only a cancellation link cancels a registration")
    with transaction():
        account = _account_for_link(payload)
        user = _locked_user(account.user_id)
        current = account_of(user)
        if not _unconfirmed(current):
            raise TokenUsed("the address is confirmed; the registration can no longer be cancelled this way")
        void_registration(user, "cancelled_by_address_owner")


@engine.entry_action
def _mark_email_confirmed(account, actor, from_state, to_state, data) -> None:
    account.user.email_confirmed_at = utcnow()


def account_of(user: User) -> Account | None:
    return db.session.execute(select(Account).where(Account.user_id == user.id)).scalar_one_or_none()


# -- unverified registrations: voided, never deleted (the audit trail names them) -----------------
VOID_REASONS = ("citizen_id_verified_by_owner", "expired", "cancelled_by_address_owner")
_VOID_NOTICES = {
    "citizen_id_verified_by_owner": (
        "การลงทะเบียนบัญชี Single Sign-On ของท่านถูกยกเลิก เนื่องจากเจ้าของเลขประจำตัวประชาชนที่ใช้ลงทะเบียน "
        "ได้ยืนยันตัวตนด้วย ThaiD กับบัญชีอื่นแล้ว เลขประจำตัวประชาชนหนึ่งเลขใช้ได้กับบัญชีเดียว "
        "หากท่านคือเจ้าของเลขนั้น โปรดเข้าสู่ระบบด้วยบัญชีที่ยืนยันแล้ว หากเห็นว่าผิดพลาด โปรดติดต่อผู้ดูแลระบบ SSO "
        "ของหน่วยงาน\n\n"
        "Your Single Sign-On registration was cancelled: the holder of the citizen ID it gave has "
        "verified that ID with ThaiD on another account, and each citizen ID belongs to one account. "
        "If you are that person, sign in with the verified account. If you think this is a mistake, "
        "ask your organisation's SSO admin.\n"
    ),
    "expired": (
        "การลงทะเบียนบัญชี Single Sign-On ของท่านถูกยกเลิก เนื่องจากไม่ได้ยืนยันตัวตนด้วย ThaiD ภายใน "
        "{days} วัน ท่านลงทะเบียนใหม่ได้ทุกเมื่อ\n\n"
        "Your Single Sign-On registration was cancelled because its identity was not verified with "
        "ThaiD within {days} days. You may register again at any time.\n"
    ),
}


def _locked_user(user_id: int) -> User:
    return (
        db.session.execute(
            select(User)
            .where(User.id == user_id)
            .with_for_update(of=User)
            .execution_options(populate_existing=True)
        )
        .unique()
        .scalar_one()
    )


def void_registration(user: User, reason: str, *, actor=None) -> None:
    """Drop an unverified registration in the caller's transaction: tell its address (for the reasons
    in ``_VOID_NOTICES``), audit, end its sessions, release its address, username and citizen ID,
    disable it and delete its account row. The person row stays, as the audit trail names it."""
    if reason not in VOID_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    if user.identity_verified_at is not None:
        raise GuardFailed("a verified person's account is not voided", reason=reason)
    account = account_of(user)
    notice = _VOID_NOTICES.get(reason)
    if notice and user.email and (reason != "expired" or user.email_confirmed_at is not None):
        days = current_app.config["SSO_UNVERIFIED_REGISTRATION_DAYS"]
        mail.queue_mail(
            user.email,
            "การลงทะเบียนถูกยกเลิก (Your registration was cancelled)",
            f"เรียน {user.full_name}\n\n" + notice.format(days=days),
            user_id=user.id,
        )
    _audit_auth(
        user,
        "registration_voided",
        actor=actor,
        reason=reason,
        account_id=account.id if account is not None else None,
    )
    sessions.end_all_sessions(user.id, "registration_voided")
    user.voided_at = utcnow()
    user.is_enabled = False
    # Released, so the address and the number block nobody; PDPA: kept no longer than needed.
    user.email = None
    user.username = f"void-{user.id}"
    user.citizen_id_digest = user.citizen_id_encrypted = None
    user.password_hash = user.phone = None
    user.locked_until = None
    if account is not None:
        db.session.delete(account)


def drop_unverified_claims(owner: User) -> list[int]:
    """Void every unverified registration of ``owner``'s citizen ID, now that ThaiD proved the
    number is theirs; in the caller's transaction. Returns the voided people's ids."""
    if not owner.citizen_id_digest:
        return []
    claimants = (
        db.session.execute(
            select(User)
            .where(
                User.citizen_id_digest == owner.citizen_id_digest,
                User.id != owner.id,
                User.identity_verified_at.is_(None),
                User.voided_at.is_(None),
            )
            .order_by(User.id)
            .with_for_update(of=User)
        )
        .unique()
        .scalars()
        .all()
    )
    for claimant in claimants:
        void_registration(claimant, "citizen_id_verified_by_owner")
    return [c.id for c in claimants]


def expire_unverified_registrations(now: datetime | None = None) -> int:
    """Void registrations ThaiD has not verified within SSO_UNVERIFIED_REGISTRATION_DAYS; one commit."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["SSO_UNVERIFIED_REGISTRATION_DAYS"])
    with transaction():
        stale = (
            db.session.execute(
                select(User)
                .join(Account, Account.user_id == User.id)
                .where(
                    Account.status.in_(("registered", "email_confirmed")),
                    User.identity_verified_at.is_(None),
                    User.voided_at.is_(None),
                    User.created_at < cutoff,
                )
                .order_by(User.id)
                .with_for_update(of=User, skip_locked=True)
            )
            .unique()
            .scalars()
            .all()
        )
        for user in stale:
            void_registration(user, "expired")
    return len(stale)


# -- sign-in, lockout and unlock -------------------------------------------------------------------
UNKNOWN_CHAIN = "auth:unknown"


def _chain(user: User | None, identifier: str = "") -> str:
    # An unknown address's events go to one of AUDIT_UNKNOWN_SHARDS chains, so failed sign-ins
    # from all over the country do not queue on one chain's lock.
    return f"auth:{user.id}" if user is not None else audit.shard_chain(UNKNOWN_CHAIN, identifier)


def _audit_auth(
    user: User | None, action: str, *, actor=None, ip: str | None = None, identifier: str = "", **data
) -> None:
    if ip:
        data["ip"] = ip[:64]
    audit.append(
        _chain(user, identifier),
        action,
        actor=actor,
        organisation_id=user.organisation_id if user else None,
        data=data,
    )


def _find_by_email(email: str) -> User | None:
    value = (email or "").strip().lower()
    if not value:
        return None
    return db.session.execute(select(User).where(func.lower(User.email) == value)).scalar_one_or_none()


def authenticate(email: str, password: str, ip: str | None = None) -> User:
    """Check an SSO sign-in; return the person or raise ``InvalidCredentials``, auditing either way.

    Every refusal (unknown address, wrong password, paused or disabled account) is the same
    exception with the same effort spent, so the answer tells nothing; the audit trail says which.
    """
    user = _find_by_email(email)
    if user is None:
        verify_password(None, password)
        # The refusal is recorded (committed) before it is raised.
        with transaction():
            _audit_auth(None, "login_failed", ip=ip, identifier=email or "", reason="unknown_email")
        raise InvalidCredentials("wrong email address or password")
    return check_password(user, password, ip, success="login", upgrade=True)


def reauthenticate(user: User, password: str, ip: str | None = None) -> User:
    """Check the signed-in person's password again (before approvals); failures count to lockout."""
    return check_password(user, password, ip, success="reauthenticated", upgrade=False)


def lockout_wait(failures: int, config=None) -> timedelta | None:
    """How long password sign-in pauses after ``failures`` failures in a row (None: no pause).

    LOGIN_LOCKOUT_WAIT_SECONDS at the threshold, doubling with each further failure, at most
    LOGIN_LOCKOUT_MAX_WAIT_SECONDS.
    """
    config = config if config is not None else current_app.config
    threshold = config["LOGIN_LOCKOUT_THRESHOLD"]
    if failures < threshold:
        return None
    most = config["LOGIN_LOCKOUT_MAX_WAIT_SECONDS"]
    doublings = min(failures - threshold, 62)  # 2**62 seconds is past any maximum
    return timedelta(seconds=min(config["LOGIN_LOCKOUT_WAIT_SECONDS"] * 2**doublings, most))


def sign_in_paused_until(user: User, now: datetime | None = None) -> datetime | None:
    """When the person's paused password sign-in resumes, or None if it is not paused."""
    until = user.locked_until
    return until if until is not None and until > (now or utcnow()) else None


def check_password(
    user: User, password: str, ip: str | None = None, *, success: str = "login", upgrade: bool = False
) -> User:
    """Decide one password check (SSO sign-in, re-authentication, the development login).

    While sign-in is paused the password is not even checked (guessing learns nothing then) and
    the attempt does not count, so the pause cannot be stretched by hammering it. Every decision
    is committed (with the failure count, the pause and the lock notice) before a refusal is
    raised: a refused attempt must still count.
    """
    now = utcnow()
    if sign_in_paused_until(user, now) is not None:
        verify_password(None, password)
        with transaction():
            _audit_auth(user, "login_refused_locked", ip=ip, attempt=success)
        raise AccountLocked("password sign-in is paused after repeated failures")
    if not user.is_enabled:
        verify_password(None, password)
        with transaction():
            _audit_auth(user, "login_refused_disabled", ip=ip, attempt=success)
        raise AccountDisabled("the account is disabled")
    if verify_password(user.password_hash, password):
        with transaction():
            if upgrade and needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.failed_login_count = 0
            user.last_failed_login_at = user.locked_at = user.locked_until = None
            user.last_login_at = now
            _audit_auth(user, success, actor=user, ip=ip)
        return user
    with transaction():
        failures, paused_until = _count_failure(user, now)
        _audit_auth(
            user, "login_failed" if success == "login" else "reauth_failed", ip=ip, reason="wrong_password"
        )
        if paused_until is not None:
            _audit_auth(
                user,
                "account_locked",
                ip=ip,
                failures=failures,
                seconds=int((paused_until - now).total_seconds()),
            )
            if failures == current_app.config["LOGIN_LOCKOUT_THRESHOLD"]:
                _queue_lock_notice(user)  # once per series of failures, not at every longer pause
    if paused_until is not None:
        raise AccountLocked("password sign-in is paused after repeated failures")
    raise InvalidCredentials("wrong email address or password")


def _count_failure(user: User, now: datetime) -> tuple[int | None, datetime | None]:
    """Count one failure and pause sign-in once the threshold is reached, in one statement.

    Returns (failures in a row, paused until), or (None, None) when a concurrent failure paused
    sign-in first: PostgreSQL re-checks the WHERE on the row it waited for, so a burst of guesses
    that all passed the pause check adds one step to the pause, not one per guess.
    """
    config = current_app.config
    threshold = config["LOGIN_LOCKOUT_THRESHOLD"]
    table = User.__table__
    quiet_since = now - timedelta(seconds=config["LOGIN_FAILURE_RESET_SECONDS"])
    count = case(
        (or_(table.c.last_failed_login_at.is_(None), table.c.last_failed_login_at < quiet_since), 1),
        else_=table.c.failed_login_count + 1,
    )
    # The pause for each count up to the maximum, as data: no exponent in SQL (SQLite has none).
    most_seconds = config["LOGIN_LOCKOUT_MAX_WAIT_SECONDS"]
    steps = []
    for failures in range(threshold, threshold + 63):
        wait = lockout_wait(failures, config)
        if wait is None or wait.total_seconds() >= most_seconds:  # None only below the threshold
            break
        steps.append((count == failures, literal(now + wait, UTCDateTime())))
    most = literal(now + timedelta(seconds=most_seconds), UTCDateTime())
    paused_until = case(*steps, (count >= threshold, most), else_=None)
    row = db.session.execute(
        update(table)
        .where(table.c.id == user.id, or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
        .values(
            failed_login_count=count,
            last_failed_login_at=now,
            locked_until=paused_until,
            locked_at=case((count >= threshold, literal(now, UTCDateTime())), else_=None),
        )
        .returning(table.c.failed_login_count, table.c.locked_until)
    ).one_or_none()
    db.session.expire(user, ["failed_login_count", "last_failed_login_at", "locked_at", "locked_until"])
    if row is None:
        return None, None
    return row[0], row[1]


def _queue_lock_notice(user: User) -> None:
    if not user.email:
        return
    body = (
        f"เรียน {user.full_name}\n\n"
        "มีการใส่รหัสผ่านบัญชี Single Sign-On ของท่านผิดหลายครั้งติดต่อกัน ระบบจึงพักการเข้าสู่ระบบด้วยรหัสผ่าน"
        "ไว้ชั่วคราว (นานขึ้นหากยังใส่ผิดต่อไป) ท่านเข้าสู่ระบบได้อีกเมื่อพ้นเวลาพัก หรือขอให้ผู้ดูแลระบบ SSO "
        "ของหน่วยงานปลดล็อก หากไม่ใช่ท่าน โปรดแจ้งผู้ดูแลระบบ\n\n"
        "Someone entered wrong passwords for your Single Sign-On account several times in a row, so "
        "password sign-in is paused for a while (longer if the failures go on). You can sign in again "
        "once the pause is over, or ask your organisation's SSO admin to unlock it. If this was not "
        "you, tell them.\n"
    )
    mail.queue_mail(user.email, "พักการเข้าสู่ระบบชั่วคราว (Sign-in paused)", body, user_id=user.id)


def can_unlock(actor, user: User) -> bool:
    """The person's own LAO SSO admin, the provincial office over them, or DLA unlocks them."""
    org = user.organisation
    return any(has_role(actor, role, org) for role in ("sso_admin", "provincial_officer", "dla_admin"))


def unlock(actor, user_id: int) -> User:
    """End a paused sign-in early and clear the count of failures, audited."""
    with transaction():
        user = (
            db.session.execute(
                select(User)
                .where(User.id == user_id)
                .with_for_update(of=User)
                .execution_options(populate_existing=True)
            )
            .unique()
            .scalar_one_or_none()
        )
        if user is None or not (can_unlock(actor, user) or _may_read(actor, user)):
            raise NotFound(f"user #{user_id} not found", id=user_id)
        if not can_unlock(actor, user):
            raise PermissionDenied(
                "only the SSO admin, the provincial office or DLA unlocks accounts",
                roles=["sso_admin", "provincial_officer", "dla_admin"],
            )
        if sign_in_paused_until(user) is None and not user.locked_at and not user.failed_login_count:
            raise NotLocked("the account is not locked")
        user.locked_at = user.locked_until = user.last_failed_login_at = None
        user.failed_login_count = 0
        _audit_auth(user, "unlocked", actor=actor)
    return user


def _may_read(actor, user: User) -> bool:
    return can_read(actor, user.organisation)


def record_logout(user: User, ip: str | None = None) -> None:
    """Audit an SSO sign-out."""
    with transaction():
        _audit_auth(user, "logout", actor=user, ip=ip)


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


def _as_verified(account: Account, name: str) -> None:
    """Refuse a name other than the one ThaiD verified (once ThaiD has named the person)."""
    if account.thaid_name is None or account.user.identity_verified_at is None:
        return
    title, rest = thai_names.split_title(account.thaid_name)
    verified = thai_names.ThaidPerson(title=title, name=rest, birthdate=None)
    if not thai_names.compare(name, None, verified).name_matches:
        raise NameNotAsVerified("the name must be the one ThaiD verified", field="first_name")


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
    _as_verified(account, full_name(title, first, last))
    position = _text("position", details.position, 200, required=False)
    phone = normalise_phone(details.phone)
    org = _organisation(details.organisation_id)
    role = _requested_role(details.requested_role)
    with transaction():
        values = {
            "full_name": full_name(title, first, last),
            "position": position,
            "phone": phone,
            "organisation_id": org.id,
        }
        changed = sorted(name for name, value in values.items() if getattr(user, name) != value)
        for name, value in values.items():
            setattr(user, name, value)
        if changed:
            _audit_auth(user, "details_changed", actor=user, fields=changed)
        # The account's organisation and role move with the step (entry action below).
        return engine.fire(
            "account",
            account.id,
            "reapply",
            user,
            comment=comment,
            data={"organisation": org.code, "requested_role": role},
        )


def correct_unverified_details(
    user: User, *, title: str, first_name: str, last_name: str, birth_date: date | None
) -> None:
    """Correct the typed name and birth date before ThaiD has verified the person, so they can be
    compared again (a typo would otherwise keep the account from ever being verified); audited."""
    title_ = _text("title", title, 40, required=False)
    first = _text("first_name", first_name, 80)
    last = _text("last_name", last_name, 80)
    born = _birth_date(birth_date)
    with transaction():
        locked = _locked_user(user.id)
        account = account_of(locked)
        if (
            account is None
            or account.status not in ("registered", "email_confirmed")
            or locked.identity_verified_at is not None
        ):
            raise GuardFailed("the name and birth date are fixed once ThaiD has verified them")
        values = {"full_name": full_name(title_, first, last), "birth_date": born}
        changed = sorted(name for name, value in values.items() if getattr(locked, name) != value)
        for name, value in values.items():
            setattr(locked, name, value)
        if changed:
            _audit_auth(locked, "details_changed", actor=locked, fields=changed)


@engine.entry_action
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
