import csv
import io
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import InvalidInput
from eplan_flow.models import AuditEvent, Organisation
from eplan_flow.seed import BUENG_KAN_LAOS
from eplan_flow.services.directory import geography, laos_import
from eplan_flow.services.platform import audit
from tests.data import dla_laos_2566

HEADER = "dla_code,type_th,name_th,province_code,province_th,district_th,lat,lon,area_km2"


def laos(db):
    return {
        o.code: o
        for o in db.session.execute(select(Organisation).where(Organisation.kind == "lao")).scalars()
    }


def write_csv(tmp_path, *lines, name="laos.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join((HEADER, *lines)) + "\r\n").encode(encoding))
    return path


def bueng_kan_lines():
    return BUENG_KAN_LAOS.read_text(encoding="utf-8").splitlines()[1:]


def test_the_packaged_bueng_kan_file_imports_its_58_laos_with_their_types(db):
    report = laos_import.import_laos(None, BUENG_KAN_LAOS)

    assert (report.added, report.updated, report.unchanged, report.rejected) == (58, 0, 0, [])
    rows = laos(db)
    assert len(rows) == 58
    assert Counter(o.lao_type for o in rows.values()) == {
        "pao": 1,
        "town_municipality": 1,
        "subdistrict_municipality": 17,
        "sao": 39,
    }
    town = rows["4380104"]
    assert (town.lao_type, town.name_th, town.display_name) == ("town_municipality", "บึงกาฬ", "ทม.บึงกาฬ")
    assert (town.province_code, town.district_code, town.district_name_th) == ("38", "3801", "เมืองบึงกาฬ")
    assert (town.lat, town.lon, town.area_km2) == (18.36701964, 103.6552387, 143.3)
    assert rows["2380101"].lat is None and rows["2380101"].area_km2 == 4305
    # Every Bueng Kan district name of DLA's file matches a DOPA district.
    assert all(o.district_code for o in rows.values())
    assert {o.district_code for o in rows.values()} == {f"380{n}" for n in range(1, 9)}


def test_importing_creates_the_offices_of_the_provinces_it_touches_and_one_audit_event(db):
    report = laos_import.import_laos(None, BUENG_KAN_LAOS)

    codes = set(db.session.execute(select(Organisation.code).where(Organisation.kind != "lao")).scalars())
    assert codes == {"DLA", "PO-38", *(f"DO-380{n}" for n in range(1, 9))}
    assert report.offices_added == 10
    events = audit.history("import:laos")
    assert [(e.action, e.data["added"], e.data["rejected"], e.data["rows"]) for e in events] == [
        ("import_laos", 58, 0, 58)
    ]
    assert events[0].id == report.audit_event_id


def test_importing_the_same_file_again_adds_and_updates_nothing(db):
    laos_import.import_laos(None, BUENG_KAN_LAOS)

    again = laos_import.import_laos(None, BUENG_KAN_LAOS)

    assert (again.added, again.updated, again.unchanged, again.rejected, again.offices_added) == (
        0,
        0,
        58,
        [],
        0,
    )
    assert len(laos(db)) == 58


def test_a_changed_name_is_one_update_and_the_rest_stays_unchanged(db, tmp_path):
    laos_import.import_laos(None, BUENG_KAN_LAOS)
    lines = [line.replace(",นาสวรรค์,", ",นาสวรรค์ใหม่,") for line in bueng_kan_lines()]

    report = laos_import.import_laos(None, write_csv(tmp_path, *lines))

    assert (report.added, report.updated, report.unchanged) == (0, 1, 57)
    db.session.expire_all()
    assert laos(db)["6380109"].name_th == "นาสวรรค์ใหม่"


def test_bad_rows_are_rejected_with_their_line_and_reason_and_the_good_rows_are_imported(db, tmp_path):
    path = write_csv(
        tmp_path,
        "6380109,อบต.,นาสวรรค์,38,บึงกาฬ,เมืองบึงกาฬ,18.253035,103.608301,66",  # line 2: good
        "638010,อบต.,สั้น,38,บึงกาฬ,เมืองบึงกาฬ,,,",  # line 3: six digits
        "6380110,สุขาภิบาล,โป่งเปือย,38,บึงกาฬ,เมืองบึงกาฬ,,,",  # line 4: unknown type
        "6990101,อบต.,ไม่มีจังหวัด,99,ไม่มี,ไม่มี,,,",  # line 5: unknown province
        "6380109,อบต.,นาสวรรค์ซ้ำ,38,บึงกาฬ,เมืองบึงกาฬ,,,",  # line 6: duplicate of line 2
        "6380111,อบต.,,38,บึงกาฬ,เมืองบึงกาฬ,,,",  # line 7: no name
        "6380113,อบต.,ชัยพร,38,บึงกาฬ,เมืองบึงกาฬ,48.1,103.6,",  # line 8: latitude outside Thailand
        "6380114,อบต.,โนนสมบูรณ์,38,บึงกาฬ,เมืองบึงกาฬ,18.2,east,",  # line 9: longitude not a number
        "6380204,อบต.,ป่าแฝก,38,บึงกาฬ",  # line 10: too few fields
        "5380102,เทศบาลตำบล,หอคำ,38,บึงกาฬ,เมืองบึงกาฬ,18.43401622,103.4348631,40.04",  # line 11: good
    )

    report = laos_import.import_laos(None, path)

    assert (report.added, report.updated) == (2, 0)
    assert set(laos(db)) == {"6380109", "5380102"}
    assert laos(db)["6380109"].name_th == "นาสวรรค์"  # the first occurrence wins
    assert [(r.line, r.code, r.problems) for r in report.rejected] == [
        (3, "638010", ("bad_code",)),
        (4, "6380110", ("unknown_type",)),
        (5, "6990101", ("unknown_province",)),
        (6, "6380109", ("duplicate_code",)),
        (7, "6380111", ("missing_name",)),
        (8, "6380113", ("bad_lat",)),
        (9, "6380114", ("bad_lon",)),
        (10, "6380204", ("malformed_row",)),
    ]
    reasons = {r.line: r.reason for r in report.rejected}
    assert "exactly 7 digits" in reasons[3]
    assert "สุขาภิบาล" in reasons[4]
    assert "'99'" in reasons[5]
    assert "line 2" in reasons[6]
    assert "name is missing" in reasons[7]
    assert reasons[10] == "the row has 5 fields, the header 9"
    event = audit.history("import:laos")[-1]
    assert (event.data["added"], event.data["rejected"]) == (2, 8)


def test_a_row_with_several_problems_lists_them_all(db):
    report = laos_import.import_laos(
        None,
        [{"dla_code": "12", "type_th": "?", "name_th": "", "province_code": "38", "district_th": "เซกา"}],
    )

    assert [(r.line, r.problems) for r in report.rejected] == [
        (2, ("bad_code", "unknown_type", "missing_name"))
    ]
    assert report.rejected[0].reason.count(";") == 2


def test_the_type_comes_from_its_column_never_from_the_code(db):
    # DLA's file has ทต. whose codes still start with the อบต. digit 6.
    report = laos_import.import_laos(
        None,
        [
            {
                "dla_code": "6130408",
                "type_th": "เทศบาลตำบล",
                "name_th": "หนองสามวัง",
                "province_code": "13",
                "district_th": "หนองเสือ",
            },
            {
                "dla_code": "3200408",
                "type_th": "รูปแบบพิเศษ",
                "name_th": "เมืองพัทยา",
                "province_code": "20",
                "district_th": "บางละมุง",
            },
        ],
    )

    assert report.added == 2
    rows = laos(db)
    assert rows["6130408"].lao_type == "subdistrict_municipality"
    assert (rows["3200408"].lao_type, rows["3200408"].display_name) == ("pattaya", "เมืองพัทยา")


def test_common_spellings_of_a_district_find_its_dopa_code_and_keep_dla_s_spelling(db):
    rows = [
        ("6380801", "38", "อำเภอบุ่งคล้า"),
        ("6380802", "38", "อ. บุ่งคล้า"),
        ("6380109", "38", "อ.เมือง"),
        ("6380110", "38", "เมือง บึงกาฬ"),
        ("6730201", "73", "กําแพงแสน"),  # sara am typed as nikhahit + sara aa
        ("6140101", "14", "เมืองพระนครศรีอยุธยา"),  # DOPA names Ayutthaya's capital district without เมือง
    ]
    report = laos_import.import_laos(
        None,
        [
            {
                "dla_code": code,
                "type_th": "อบต.",
                "name_th": f"ทดสอบ{code}",
                "province_code": province,
                "district_th": district,
            }
            for code, province, district in rows
        ],
    )

    assert (report.added, report.warnings) == (6, [])
    found = laos(db)
    assert [found[code].district_code for code, _, _ in rows] == [
        "3808",
        "3808",
        "3801",
        "3801",
        "7302",
        "1401",
    ]
    assert found["6380802"].district_name_th == "อ. บุ่งคล้า"


def test_a_district_that_matches_nothing_is_imported_without_a_code_and_warned_about(db):
    report = laos_import.import_laos(
        None,
        [
            {
                "dla_code": "6380899",
                "type_th": "อบต.",
                "name_th": "ทดสอบ",
                "province_code": "38",
                "district_th": "กิ่งอำเภอที่ไม่มีจริง",
            }
        ],
    )

    assert (report.added, report.rejected) == (1, [])
    assert [(w.line, w.code, w.problems) for w in report.warnings] == [
        (2, "6380899", ("district_unmatched",))
    ]
    row = laos(db)["6380899"]
    assert (row.district_code, row.district_name_th) == (None, "กิ่งอำเภอที่ไม่มีจริง")


def test_a_file_saved_as_tis_620_from_thai_excel_imports_the_same(db, tmp_path):
    path = write_csv(tmp_path, *bueng_kan_lines(), encoding="cp874")

    report = laos_import.import_laos(None, path)

    assert (report.added, report.rejected) == (58, [])
    assert laos(db)["4380104"].district_name_th == "เมืองบึงกาฬ"


def test_a_file_without_dla_s_columns_is_refused_and_nothing_is_written(db, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("code,name\n6380109,นาสวรรค์\n", encoding="utf-8")

    with pytest.raises(InvalidInput, match="dla_code"):
        laos_import.import_laos(None, path)
    assert laos(db) == {}
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 0


def test_a_failure_in_the_middle_of_an_import_leaves_nothing_behind(db, monkeypatch):
    def broken_offices(province_codes):
        raise RuntimeError("disk full")

    monkeypatch.setattr(geography, "stage_offices", broken_offices)

    with pytest.raises(RuntimeError, match="disk full"):
        laos_import.import_laos(None, BUENG_KAN_LAOS)
    assert laos(db) == {}
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 0


def test_a_text_stream_imports_like_a_file(db):
    stream = io.StringIO("\n".join([HEADER, *bueng_kan_lines()[:3]]))

    report = laos_import.import_laos(None, stream)

    assert report.added == 3


def test_the_full_dla_file_imports_all_7849_laos_with_domain_counts_per_type(db):
    source = dla_laos_2566()
    started = time.perf_counter()
    report = laos_import.import_laos(None, source)
    seconds = time.perf_counter() - started
    print(f"imported {report.added} LAOs in {seconds:.2f}s")

    assert (report.added, report.rejected) == (7849, [])
    counts = dict(
        db.session.execute(
            select(Organisation.lao_type, func.count())
            .where(Organisation.kind == "lao")
            .group_by(Organisation.lao_type)
        ).all()
    )
    assert counts == {
        "pao": 76,
        "city_municipality": 30,
        "town_municipality": 195,
        "subdistrict_municipality": 2247,
        "sao": 5300,
        "pattaya": 1,
    }
    # Every district name in DLA's file matches a DOPA district; only half coordinates are warned.
    assert {w.problems for w in report.warnings} <= {("half_coordinate",)}
    unmatched = db.session.execute(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.kind == "lao", Organisation.district_code.is_(None))
    ).scalar_one()
    assert unmatched == 0
    with io.TextIOWrapper(dla_laos_2566(), encoding="utf-8", newline="") as f:
        expected_types = Counter(row["type_th"] for row in csv.DictReader(f))
    assert expected_types["รูปแบบพิเศษ"] == counts["pattaya"]

    again = laos_import.import_laos(None, dla_laos_2566())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 7849)
