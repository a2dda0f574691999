"""The table's CSV and Excel downloads parse back to the rows the page shows, Thai headers and all."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from eplan_flow.services.oversight import status as oversight
from tests.oversight.conftest import FISCAL_YEAR


def expected(country, **filters):
    board = oversight.dashboard(
        country.provincial_officer, oversight.Filters(fiscal_year_be=FISCAL_YEAR, **filters)
    )
    return [["" if v is None else str(v) for v in row] for row in oversight.export_rows(board)]


def _cell(value):
    """A cell as comparable text: numbers (Excel keeps them as floats) by their decimal value."""
    if value in (None, ""):
        return ""
    try:
        return Decimal(str(value)).normalize()
    except ArithmeticError:
        return str(value)


def test_the_csv_download_has_a_bom_thai_headers_and_the_same_rows_as_the_table(
    country, town_year, client, login_as
):
    login_as(country.provincial_officer)

    response = client.get(f"/oversight/export.csv?year={FISCAL_YEAR}&type=sao")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == list(oversight.EXPORT_HEADERS) and rows[0][0] == "รหัส อปท."
    assert rows[1:] == expected(country, lao_type="sao")
    assert len(rows) == 1 + 39


def test_the_excel_download_parses_back_to_the_same_rows_with_numbers_as_numbers(
    country, town_year, client, login_as
):
    login_as(country.provincial_officer)

    response = client.get(f"/oversight/export.xlsx?year={FISCAL_YEAR}")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(oversight.EXPORT_HEADERS)
    assert len(rows) == 1 + 58
    assert [[_cell(v) for v in row] for row in rows[1:]] == [
        [_cell(v) for v in row] for row in expected(country)
    ]
    town_row = next(r for r in rows[1:] if r[0] == country.town.code)
    rate = oversight.EXPORT_HEADERS.index("ร้อยละการเบิกจ่าย")
    assert (town_row[rate - 2], town_row[rate]) == (190000, 73.7)


def test_downloads_follow_the_filters_of_the_page(country, town_year, client, login_as):
    login_as(country.district_officer)

    response = client.get(f"/oversight/export.csv?year={FISCAL_YEAR}")

    codes = [row[0] for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig")))][1:]
    assert set(codes) == country.district_3801_routed_codes
    assert client.get("/oversight/export.pdf").status_code == 404
