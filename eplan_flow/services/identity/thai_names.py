"""Thai personal names as typed and as ThaiD sends them: normalised so that only a different name differs.

What a person types and what DOPA's register holds can differ in ways that are not a different
name: Unicode composition (NFC or not), doubled or odd spaces, invisible zero-width characters
pasted from chat apps, sara am written as its two parts (nikhahit + sara aa, ``ํา``) instead of
one ``ำ``, and the title (คำนำหน้านาม) joined to the given name or not, spelled out or abbreviated
(``น.ส.``). The title is compared apart from the name: it changes with marriage or rank, so a
different title is shown to the approver, never refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

# Zero-width and other invisible format characters (Unicode category Cf covers the rest).
_SPACES = re.compile(r"\s+")
_SARA_AM_PARTS = "\u0e4d\u0e32"  # nikhahit + sara aa, as some keyboards and fonts compose ำ
_SARA_AM = "\u0e33"

# Titles as written before a name, longest first so "นางสาว" is not read as "นาง" + "สาว...";
# each maps to its canonical spelling (abbreviations to the full word).
_TITLES = {
    "ว่าที่ร้อยตรีหญิง": "ว่าที่ร้อยตรีหญิง",
    "ว่าที่ ร.ต.หญิง": "ว่าที่ร้อยตรีหญิง",
    "ว่าที่ร.ต.หญิง": "ว่าที่ร้อยตรีหญิง",
    "ว่าที่ร้อยตรี": "ว่าที่ร้อยตรี",
    "ว่าที่ ร.ต.": "ว่าที่ร้อยตรี",
    "ว่าที่ร.ต.": "ว่าที่ร้อยตรี",
    "นางสาว": "นางสาว",
    "น.ส.": "นางสาว",
    "นส.": "นางสาว",
    "นาง": "นาง",
    "นาย": "นาย",
    "ดร.": "ดร.",
    "เด็กชาย": "เด็กชาย",
    "ด.ช.": "เด็กชาย",
    "เด็กหญิง": "เด็กหญิง",
    "ด.ญ.": "เด็กหญิง",
}
_TITLES_LONGEST_FIRST = sorted(_TITLES, key=len, reverse=True)


def normalise(text: str | None) -> str:
    """NFC, invisible characters dropped, ``ํา`` read as ``ำ``, spaces collapsed and trimmed."""
    value = unicodedata.normalize("NFC", text or "")
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    value = value.replace(_SARA_AM_PARTS, _SARA_AM)
    return _SPACES.sub(" ", value).strip()


def canonical_title(title: str | None) -> str:
    """The full spelling of a known title (``น.ส.`` → ``นางสาว``), else the title normalised."""
    value = normalise(title)
    return _TITLES.get(value, _TITLES.get(value.replace(" ", ""), value))


def split_title(full_name: str | None) -> tuple[str, str]:
    """(canonical title, the rest) of a name written with its title in front, or ("", name)."""
    value = normalise(full_name)
    for title in _TITLES_LONGEST_FIRST:
        if value.startswith(title):
            return _TITLES[title], value[len(title) :].strip()
    return "", value


def _compact(name: str) -> str:
    # Where the space falls between given and family name is not part of the name.
    return normalise(name).replace(" ", "").casefold()


@dataclass(frozen=True)
class ThaidPerson:
    """Who ThaiD says signed in: the title, the name without it, the birth date (when sent)."""

    title: str
    name: str
    birthdate: date | None

    @property
    def full_name(self) -> str:
        """Thai style, the title joined to the given name (นายสมชาย ใจดี)."""
        return f"{self.title}{self.name}".strip()


def from_claims(claims: Mapping) -> ThaidPerson | None:
    """Read ThaiD's Thai name claims (``title``, ``given_name``, ``middle_name``, ``family_name``,
    else ``name``) and ``birthdate``; None when no Thai name was sent."""
    parts = [normalise(claims.get(key)) for key in ("given_name", "middle_name", "family_name")]
    title = canonical_title(claims.get("title"))
    if parts[0] and parts[2]:
        name = " ".join(part for part in parts if part)
    else:
        from_name, name = split_title(claims.get("name"))
        title = title or from_name
    if not name:
        return None
    return ThaidPerson(title=title, name=name, birthdate=parse_birthdate(claims.get("birthdate")))


_ISO = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


def parse_birthdate(raw) -> date | None:
    """ThaiD's ``birthdate`` (``YYYY-MM-DD`` as OpenID Connect writes it; ``YYYYMMDD`` and Buddhist-Era
    years also read); None when missing or not a whole date (OIDC allows ``0000`` years)."""
    match = _ISO.match(normalise(raw if isinstance(raw, str) else ""))
    if not match:
        return None
    year, month, day = map(int, match.groups())
    if year > 2400:  # a Buddhist-Era year
        year -= 543
    try:
        return date(year, month, day) if year > 0 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Comparison:
    """How a typed name and birth date compare with ThaiD's."""

    name_matches: bool
    title_matches: bool
    # None when either side has no birth date to compare.
    birthdate_matches: bool | None


def compare(typed_full_name: str | None, typed_birthdate: date | None, thaid: ThaidPerson) -> Comparison:
    """Compare a registered name (title joined in front, as stored) and birth date with ThaiD's."""
    typed = normalise(typed_full_name)
    name_matches = False
    typed_title = ""
    wanted = _compact(thaid.name)
    # The stored name is title + given + family; which known title it starts with (if any) must
    # leave exactly ThaiD's name, so a given name that begins like a title is not misread.
    for title in ["", *_TITLES_LONGEST_FIRST]:
        if typed.startswith(title) and _compact(typed[len(title) :]) == wanted:
            name_matches, typed_title = True, _TITLES.get(title, "")
            break
    if not name_matches:
        typed_title = split_title(typed)[0]
    birthdate_matches = (
        None if typed_birthdate is None or thaid.birthdate is None else typed_birthdate == thaid.birthdate
    )
    title_matches = not thaid.title or not typed_title or typed_title == canonical_title(thaid.title)
    return Comparison(name_matches, title_matches, birthdate_matches)


def compare_recorded(account) -> Comparison | None:
    """Compare a person's typed name and birth date with what ThaiD said at the account's last
    verification attempt (``Account.thaid_name``, ``thaid_birthdate``); None before any."""
    if account is None or not getattr(account, "thaid_name", None):
        return None
    title, rest = split_title(account.thaid_name)
    thaid = ThaidPerson(title=title, name=rest, birthdate=account.thaid_birthdate)
    return compare(account.user.full_name, account.user.birth_date, thaid)
