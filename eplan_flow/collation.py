"""Thai alphabetical order, in Python and in SQL, so every list sorts names the way a Thai reader
looks them up: ไคสี among the ค, before หอคำ, not after ห as code points put it.

Thai writes five vowels (เ แ โ ใ ไ) before the consonant they follow in speech, and dictionaries
order a word by its first consonant. The Python key moves such a vowel after its consonant and
sorts tone marks after the letters (pythainlp's ``collate`` does the same; the key is a few lines,
not worth pythainlp's install). In SQL, PostgreSQL's ICU collation ``th-x-icu`` orders Thai the same
way, and SQLite gets a ``thai`` collation built on the Python key on every connection.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import String

T = TypeVar("T")

_LEADING_VOWEL = re.compile(r"([เ-ไ])([ก-ฮ])")
# Tone marks and the other signs above a letter (ไม้ไต่คู้ to การันต์): second-level differences.
_TONE = re.compile(r"[็-์]")
# What ICU's Thai order passes over at first (จ.ป.ร. among the จป).
_PUNCTUATION = re.compile(r"[\s.\-]")

POSTGRESQL_COLLATION = "th-x-icu"
SQLITE_COLLATION = "thai"


def thai_key(text: str | None) -> tuple[str, str]:
    """The sort key of ``text`` in Thai order (``None`` sorts as empty): first by the letters, each
    leading vowel after its consonant, without tone marks or punctuation; then by the tone marks."""
    spoken = _LEADING_VOWEL.sub(r"\2\1", text or "")
    return _TONE.sub("", _PUNCTUATION.sub("", spoken)), spoken


def sorted_thai(items: Iterable[T], key: Callable[[T], str | None]) -> list[T]:
    """``items`` in Thai order of ``key(item)``."""
    return sorted(items, key=lambda item: thai_key(key(item)))


class thai_collated(ColumnElement[str]):
    """``expression`` compared in Thai order: ``ORDER BY thai_collated(Organisation.name_th)``."""

    inherit_cache = True
    # The wrapped expression is part of the statement's cache key (two columns never share SQL).
    _traverse_internals = [("collated", InternalTraversal.dp_clauseelement)]
    type = String()

    def __init__(self, expression: Any) -> None:
        self.collated = coercions.expect(roles.ExpressionElementRole, expression)


@compiles(thai_collated)
def _compile_default(element: thai_collated, compiler, **kw) -> str:
    return compiler.process(element.collated, **kw)


@compiles(thai_collated, "postgresql")
def _compile_postgresql(element: thai_collated, compiler, **kw) -> str:
    return f'{compiler.process(element.collated, **kw)} COLLATE "{POSTGRESQL_COLLATION}"'


@compiles(thai_collated, "sqlite")
def _compile_sqlite(element: thai_collated, compiler, **kw) -> str:
    return f"{compiler.process(element.collated, **kw)} COLLATE {SQLITE_COLLATION}"


def _compare(left: str, right: str) -> int:
    a, b = thai_key(left), thai_key(right)
    return (a > b) - (a < b)


def _register_sqlite_collation(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_collation(SQLITE_COLLATION, _compare)


def install() -> None:
    """Give every SQLite connection the ``thai`` collation (idempotent)."""
    if not event.contains(Engine, "connect", _register_sqlite_collation):
        event.listen(Engine, "connect", _register_sqlite_collation)
