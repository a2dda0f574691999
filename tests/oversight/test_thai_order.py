"""Thai names in Thai alphabetical order wherever a list is sorted by name: a name that starts with
a leading vowel (ไ โ เ แ ใ) sorts by its consonant, so ไคสี comes among the ค, before หอคำ.

The oracle is PostgreSQL's ICU collation ``th-x-icu``; the Python key and SQLite's ``thai``
collation must agree with it. Scenes use the real Bueng Kan LAOs (the packaged DLA file)."""

from __future__ import annotations

import csv
import io
import re

import geothai
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from eplan_flow.collation import sorted_thai, thai_collated, thai_key
from eplan_flow.extensions import db
from eplan_flow.models import Organisation, User
from eplan_flow.seed import BUENG_KAN_LAOS
from eplan_flow.services.directory import laos_import
from eplan_flow.services.platform import engine
from tests import factories
from tests.oversight.conftest import FISCAL_YEAR, org

# The municipalities of Mueang Bueng Kan (codes 53801..): by code หอคำ comes first, ไคสี third.
MUEANG_TOWNS_IN_THAI_ORDER = ["โคกก่อง", "ไคสี", "โนนสว่าง", "หนองเลิง", "หอคำ"]
PICKED = re.compile(r'<li><a href="[^"]*org=\d+[^"]*"[^>]*>ทต\.([^<]+)</a>')
ADMIN_NAME_CELL = re.compile(r'<td class="col-name_th">\s*([^<]+?)\s*</td>')


def icu_order(names) -> list[str]:
    return list(
        db.session.scalars(
            text('SELECT x FROM unnest(CAST(:names AS text[])) AS x ORDER BY x COLLATE "th-x-icu"'),
            {"names": list(names)},
        )
    )


# -- the key against the oracle ---------------------------------------------------------------------
def test_the_python_key_orders_every_thai_place_name_as_postgresql_icu_does(db):
    names = set()
    for province in geothai.provinces():
        names.add(province.name_th)
        for district in geothai.districts(province.code):
            names.add(district.name_th)
            names.update(s.name_th for s in geothai.subdistricts(district.code))
    with open(BUENG_KAN_LAOS, encoding="utf-8-sig") as lines:
        names.update(row["name_th"] for row in csv.DictReader(lines))
    names.discard("")
    assert len(names) > 6000
    assert sorted(names, key=thai_key) == icu_order(names)


def test_a_leading_vowel_sorts_by_its_consonant_and_tone_marks_come_second():
    assert sorted(["หอคำ", "ไคสี", "กก", "เกา", "ขา"], key=thai_key) == ["กก", "เกา", "ขา", "ไคสี", "หอคำ"]
    assert sorted(["โคกย่าง", "โคกยาง"], key=thai_key) == ["โคกยาง", "โคกย่าง"]
    assert sorted_thai([{"n": "หอคำ"}, {"n": None}, {"n": "ไคสี"}], key=lambda r: r["n"]) == [
        {"n": None},
        {"n": "ไคสี"},
        {"n": "หอคำ"},
    ]


# -- the same scenes on PostgreSQL and on SQLite ---------------------------------------------------
def _ordered_by_sql() -> list[str]:
    return list(
        db.session.scalars(
            select(Organisation.name_th)
            .where(Organisation.code.startswith("53801"))
            .order_by(thai_collated(Organisation.name_th))
        )
    )


def _picker_names(client) -> list[str]:
    page = client.get("/sso/register", query_string={"q": "53801"}).get_data(as_text=True)
    return PICKED.findall(page)


def _admin_names(client) -> list[str]:
    # The list's name column (the fourth) sorted ascending, searched down to Mueang's municipalities.
    page = client.get("/admin/organisations/?sort=3&search=53801").get_data(as_text=True)
    return ADMIN_NAME_CELL.findall(page)


def _sign_in(client, user: User) -> None:
    response = client.post("/auth/login", data={"username": user.username, "password": "pw"})
    assert response.status_code == 302


def test_on_postgresql_the_org_picker_sql_and_back_office_list_sort_names_in_thai_order(country, client):
    assert _ordered_by_sql() == MUEANG_TOWNS_IN_THAI_ORDER == icu_order(MUEANG_TOWNS_IN_THAI_ORDER)
    assert _picker_names(client) == MUEANG_TOWNS_IN_THAI_ORDER
    _sign_in(client, country.dla_admin)
    assert _admin_names(client) == MUEANG_TOWNS_IN_THAI_ORDER


@pytest.fixture
def sqlite_bueng_kan(sqlite_app):
    with sqlite_app.app_context():
        laos_import.import_laos(None, BUENG_KAN_LAOS)
        factories.user(org("DLA"), "dla_admin", username="dla")
        db.session.remove()
    return sqlite_app


def test_on_sqlite_the_org_picker_sql_and_back_office_list_sort_names_in_thai_order(sqlite_bueng_kan):
    with sqlite_bueng_kan.app_context():
        assert _ordered_by_sql() == MUEANG_TOWNS_IN_THAI_ORDER
        dla_admin = db.session.scalar(select(User).where(User.username == "dla"))
        client = sqlite_bueng_kan.test_client()
        assert _picker_names(client) == MUEANG_TOWNS_IN_THAI_ORDER
        _sign_in(client, dla_admin)
        assert _admin_names(client) == MUEANG_TOWNS_IN_THAI_ORDER


def test_the_people_who_may_act_are_named_in_thai_order(country, db):
    people = ("นายสมชาย รักถิ่น", "นายไชยา ใจดี", "นายกมล ศรีสุข")
    for number, full_name in enumerate(people):
        factories.user(country.town, "executive", username=f"exec{number}", full_name=full_name)
    assert engine.role_holders(country.town, ["executive"]) == ["นายกมล ศรีสุข", "นายไชยา ใจดี", "นายสมชาย รักถิ่น"]


# -- the oversight table and its downloads ----------------------------------------------------------
ROW = re.compile(r"<td>(\d{7})</td>\s*<td>(?:<a [^>]*>)?([^<]+)")


def test_the_oversight_table_and_its_downloads_sort_the_laos_by_thai_name(country, client, login_as):
    login_as(country.provincial_officer)
    query = f"year={FISCAL_YEAR}&sort=name"
    page = client.get(f"/oversight/?{query}").get_data(as_text=True)
    # The page groups the LAOs by district, each district in Thai order; the downloads list them all.
    groups = district_names(page)
    shown = [name for group in groups for name in group]
    assert len(groups) > 1 and len(shown) == 58
    assert all(group == icu_order(group) for group in groups)

    rows = list(
        csv.reader(io.StringIO(client.get(f"/oversight/export.csv?{query}").data.decode("utf-8-sig")))
    )
    downloaded = [row[1] for row in rows[1:]]
    assert downloaded == icu_order(shown)
    assert downloaded.index("ทต.ไคสี") < downloaded.index("ทต.หอคำ")

    sheet = load_workbook(io.BytesIO(client.get(f"/oversight/export.xlsx?{query}").data)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == downloaded

    backwards = client.get(f"/oversight/?{query}&dir=desc").get_data(as_text=True)
    assert district_names(backwards) == [group[::-1] for group in groups]


def district_names(page: str) -> list[list[str]]:
    return [
        [name.strip() for _code, name in ROW.findall(part)]
        for part in page.split('<details class="district-group"')[1:]
    ]
