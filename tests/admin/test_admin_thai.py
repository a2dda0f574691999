"""The back office speaks Thai: Flask-Admin's own labels come from eplan-flow's admin catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import flask_admin
from babel.messages.pofile import read_po

import eplan_flow

CATALOGUES = Path(eplan_flow.__file__).parent / "translations_admin"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def read_catalogue(path: Path, locale: str):
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def messages(catalog):
    return {message.id: message for message in catalog if message.id}


def test_the_thai_catalogue_translates_every_flask_admin_string_and_keeps_its_placeholders():
    ours = messages(read_catalogue(CATALOGUES / "th/LC_MESSAGES/admin.po", "th"))
    # Flask-Admin ships no .pot; its German catalogue is kept complete and stands in for one.
    shipped = Path(flask_admin.__file__).parent / "translations/de/LC_MESSAGES/admin.po"
    wanted = messages(read_catalogue(shipped, "de"))

    # Flask-Admin builds the page-size menu's msgids at run time ("20 item", "20 items").
    page_sizes = {(f"{n} item", f"{n} items") for n in (20, 50, 100)}
    assert set(ours) == set(wanted) | page_sizes
    for msgid, message in ours.items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {msgid!r}"
        assert "fuzzy" not in message.flags, msgid
        for thai in strings:
            assert set(PLACEHOLDER.findall(thai)) <= set(PLACEHOLDER.findall(" ".join(ids))), msgid
            # A one-form plural must still say the number it is given.
            assert set(PLACEHOLDER.findall(thai)) >= set(PLACEHOLDER.findall(ids[-1])), msgid


def test_the_dla_admin_sees_the_organisation_list_with_thai_back_office_labels(world, client, login_as):
    login_as(world.dla_admin)

    body = client.get("/admin/organisations/").get_data(as_text=True)

    assert ">รายการ" in body
    assert "ค้นหา</button>" in body
    assert "เพิ่มตัวกรอง</a>" in body
    assert "เรียงตาม" in body
    assert '"operation": "เท่ากับ"' in body  # the filter menu's operation names
    for english in ("Add Filter", ">Search<", ">List", "Sort by", "Select all records"):
        assert english not in body


def test_the_edit_form_offers_thai_save_and_cancel(world, client, login_as):
    login_as(world.dla_admin)

    body = client.get(f"/admin/organisations/edit/?id={world.sao_a.id}").get_data(as_text=True)

    assert 'value="บันทึก"' in body
    assert ">ยกเลิก</a>" in body
    assert 'value="Save"' not in body
    assert ">Cancel</a>" not in body


def test_the_back_office_speaks_english_again_when_asked(world, client, login_as):
    login_as(world.dla_admin)

    body = client.get("/admin/organisations/?lang=en").get_data(as_text=True)

    assert "Add Filter" in body
    assert ">Search<" in body
    assert "เพิ่มตัวกรอง" not in body
    assert "ค้นหา" not in body
    assert '"operation": "equals"' in body
