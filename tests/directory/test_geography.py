import pytest
from sqlalchemy import func, select, text

from eplan_flow.errors import InvalidInput
from eplan_flow.models import District, Organisation, Province, Subdistrict
from eplan_flow.services.directory import geography


def count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_loading_the_geography_stores_every_province_district_and_subdistrict_of_thailand(db):
    report = geography.load_geography()

    assert (report.provinces, report.districts, report.subdistricts) == (77, 928, 7436)
    assert report.added == 77 + 928 + 7436
    assert (count(db, Province), count(db, District), count(db, Subdistrict)) == (77, 928, 7436)
    assert db.session.get(Province, "38").name_th == "บึงกาฬ"
    district = db.session.get(District, "3801")
    assert (district.name_th, district.name_en, district.province_code) == (
        "เมืองบึงกาฬ",
        "Mueang Bueng Kan",
        "38",
    )
    assert db.session.get(Subdistrict, "380101").postal_code == "38000"


def test_loading_the_geography_twice_adds_and_changes_nothing(db):
    geography.load_geography()

    again = geography.load_geography()

    assert (again.added, again.updated) == (0, 0)
    assert count(db, Subdistrict) == 7436


def test_loading_the_geography_puts_back_a_district_name_edited_in_the_database(db):
    geography.load_geography()
    db.session.execute(text("UPDATE district SET name_th = 'ผิด' WHERE code = '3801'"))
    db.session.commit()

    report = geography.load_geography()

    assert (report.added, report.updated) == (0, 1)
    db.session.expire_all()
    assert db.session.get(District, "3801").name_th == "เมืองบึงกาฬ"


def test_ensure_offices_creates_dla_the_provincial_office_and_an_office_per_district(db):
    geography.load_geography()

    added = geography.ensure_offices(["38"])

    assert added == 1 + 1 + 8
    offices = {o.code: o for o in db.session.execute(select(Organisation)).scalars()}
    assert offices["DLA"].kind == "dla"
    assert offices["DLA"].name_th == "กรมส่งเสริมการปกครองท้องถิ่น"
    po = offices["PO-38"]
    assert (po.kind, po.name_th, po.province_code, po.district_code) == (
        "provincial_office",
        "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดบึงกาฬ",
        "38",
        None,
    )
    do = offices["DO-3801"]
    assert (do.kind, do.name_th, do.province_code, do.district_code) == (
        "district_office",
        "สำนักงานส่งเสริมการปกครองท้องถิ่นอำเภอเมืองบึงกาฬ",
        "38",
        "3801",
    )
    assert sorted(c for c in offices if c.startswith("DO-")) == [f"DO-380{n}" for n in range(1, 9)]


def test_ensure_offices_twice_adds_nothing_and_keeps_an_office_renamed_by_an_admin(db, world):
    geography.load_geography()
    geography.ensure_offices(["38", "30"])
    offices_before = count(db, Organisation)

    assert geography.ensure_offices(["38", "30"]) == 0
    assert count(db, Organisation) == offices_before
    # The world's provincial office was named by hand; the service does not overwrite it.
    assert db.session.get(Organisation, world.po_38.id).name_th == "สถจ.บึงกาฬ"


def test_ensure_offices_refuses_a_province_the_database_does_not_know(db):
    geography.load_geography()

    with pytest.raises(InvalidInput, match="99"):
        geography.ensure_offices(["38", "99"])
    assert count(db, Organisation) == 0
