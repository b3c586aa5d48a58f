"""The vehicle CSV in the reader's language with machine-readable numbers, and the lists that grew
unpaged (fleet table, notification rules, reorder list, purchase needs, claimable work, a vehicle's
odometer and documents, reminders, workshop, payables): paged and sorted with dealer_portal.paging,
filters and order in the URL."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from dealer_portal import i18n
from dealer_portal.paging import Order, listed
from dealer_portal.records.vehicle_records import CSV_COLUMNS
from gateway.db.models import OdometerReading
from tests.support.portal import SAMPLE_NOW, portal_client

ZH = i18n.translations("zh_CN")


def _csv(client) -> tuple[list[str], list[dict[str, str]], str]:
    answer = client.get("/vehicles.csv")
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]], answer.headers["content-language"]


def test_csv_headers_and_states_follow_the_language_and_numbers_stay_machine_readable(sample_app):
    app, _ = sample_app
    english = portal_client(app, "sam")
    chinese = portal_client(app, "sam")
    chinese.headers["accept-language"] = "zh-CN"
    en_header, en_rows, en_lang = _csv(english)
    zh_header, zh_rows, zh_lang = _csv(chinese)
    assert (en_lang, zh_lang) == ("en", "zh-CN")
    assert en_header == list(CSV_COLUMNS.values())  # the stable column order, read in English
    assert zh_header == [ZH.gettext(h) for h in CSV_COLUMNS.values()]
    assert zh_header[0] == "车辆编号" and all(
        not re.search("[A-Za-z]{3}", h.replace("YYYY-MM-DD", "")) for h in zh_header
    )
    assert [r[en_header[0]] for r in en_rows] == [r[zh_header[0]] for r in zh_rows]
    for en, zh in zip(en_rows, zh_rows, strict=True):
        en_cells, zh_cells = list(en.values()), list(zh.values())
        assert zh_cells[8] == ZH.gettext(en_cells[8]) and zh_cells[8] != en_cells[8]  # the status, e.g. 在用
        assert (en_cells[10], zh_cells[10]) in {("no", "否"), ("yes", "是")}
        for index in (5, 6, 9):  # service life, mileage limit, odometer: the same digits in both
            assert en_cells[index] == zh_cells[index] and re.fullmatch(r"(\d+(\.\d+)?)?", zh_cells[index])
        assert re.fullmatch(r"(\d{4}-\d\d-\d\d)?", zh_cells[4])
    assert any(r[en_header[9]] for r in en_rows) and any(int(r[en_header[9]] or 0) >= 1000 for r in en_rows)
    page = chinese.get("/vehicles").text
    assert ZH.gettext(CSV_COLUMNS["odometer_km"]) not in page and "无千位分隔符" in page  # the note says so


ORDERS = {"name": Order("name", lambda r: r[0]), "big": Order("largest", lambda r: r[1], descending=True)}
ROWS = [(f"r{i:02}", i % 7) for i in range(45)]


def test_listed_sorts_pages_and_keeps_the_other_lists_parameters():
    first = listed(ROWS, "1", "/x", {"q": "a", "odo_page": "3"}, orders=ORDERS, size=20)
    assert [r[0] for r in first.rows][:2] == ["r00", "r01"] and (first.pages, first.sort) == (3, "name")
    assert first.url(page=2) == "/x?q=a&odo_page=3&page=2"
    assert first.url(sort="big") == "/x?q=a&odo_page=3&sort=big"  # a new order starts at page 1
    big = listed(ROWS, "9", "/x", {}, orders=ORDERS, sort="big", size=20)
    assert big.number == 3 and big.rows[-1][1] == 0  # past the end: the last page
    assert big.url(page=1) == "/x?sort=big" and big.url(sort="name") == "/x"  # defaults say nothing
    odd = listed(ROWS, "x'; drop", "/x", {}, orders=ORDERS, sort="<script>", size=20)
    assert (odd.number, odd.sort) == (1, "name")
    doc = listed(
        ROWS, "2", "/v/1", {"page": "4", "doc_sort": "size"}, orders=ORDERS, prefix="odo_", anchor="#o"
    )
    assert doc.number == 1 and doc.url(page=1) == "/v/1?page=4&doc_sort=size#o"
    assert listed([], "1", "/x", {}, orders=ORDERS).total == 0


def _vehicle_with_readings(app, vehicle_id: str, count: int) -> None:
    with app.state.portal.sessions() as db:
        for i in range(count):
            at = SAMPLE_NOW - timedelta(days=200 - i)
            db.add(
                OdometerReading(
                    vehicle_id=vehicle_id, ts=at, odometer_km=1000.0 + 10 * i, source="manual", created_at=at
                )
            )
        db.commit()


def test_a_vehicles_odometer_table_pages_and_sorts_apart_from_its_timeline(sample_app):
    app, _ = sample_app
    _vehicle_with_readings(app, "VAN-3", 45)
    sam = portal_client(app, "sam")
    first = sam.get("/vehicles/VAN-3").text
    table = first.split('data-testid="odometer"')[1].split("</table>")[0]
    assert table.count("<tr>") == 21  # the head and 20 runs
    assert 'href="/vehicles/VAN-3?odo_page=2#odometer"' in first
    oldest = sam.get("/vehicles/VAN-3?odo_sort=oldest&odo_page=1&page=2").text
    table = oldest.split('data-testid="odometer"')[1].split("</table>")[0]
    assert ">1,000<" in table or ">1000<" in table  # the first reading leads
    assert 'href="/vehicles/VAN-3?page=2&amp;odo_sort=oldest&amp;odo_page=2#odometer"' in oldest
    for odd in ("odo_page=999999999999", "odo_sort=%3Cx%3E", "doc_page=-1", "doc_sort=size&doc_page=abc"):
        assert sam.get(f"/vehicles/VAN-3?{odd}").status_code == 200, odd


@pytest.mark.parametrize(
    ("user", "url", "table"),
    [
        ("dora", "/fleet?sort=alerts&online=&page=2", "fleet-table"),
        ("dora", "/fleet/live?sort=seen&q=VAN", "fleet-table"),
        ("dora", "/notifications?event=alert&channel=email&sort=newest", "notification-rules"),
        ("ada", "/parts?buy_sort=cost&buy_page=3", "reorder"),
        ("ada", "/purchasing?need_sort=supplier&need_page=2&show=all", "needs"),
        ("ada", "/warranty?todo_sort=oldest&todo_page=2", "claimable"),
        ("ada", "/reminders?state=ready&sort=customer&sent_sort=customer&sent_page=2", "due"),
        ("ada", "/workshop?team=nope&sort=hours&page=5", "technicians"),
        ("ada", "/payables?show=all&supplier=nobody&sort=outstanding&page=x", "supplier-invoices"),
    ],
)
def test_each_list_takes_its_sort_page_and_filters_from_the_url(sample_app, user, url, table):
    app, _ = sample_app
    answer = portal_client(app, user).get(url)
    assert answer.status_code == 200 and f'data-testid="{table}"' in answer.text


def test_the_fleet_table_sorts_by_alerts_and_a_filter_edit_puts_the_view_in_the_address_bar(sample_app):
    app, _ = sample_app
    dora = portal_client(app, "dora")
    page = dora.get("/fleet?sort=alerts").text
    assert 'data-sort="alerts"' in page and '<strong aria-current="true" data-sort="alerts">' in page
    rows = re.findall(r"<tr data-vehicle=.*?</tr>", page, re.DOTALL)
    counts = [int(re.search(r">(\d+)</span></td>\s*$", row[: -len("</tr>")]).group(1)) for row in rows]
    assert len(rows) >= 4 and counts == sorted(counts, reverse=True) and counts[0] > 0
    live = dora.get("/fleet/live?q=VAN&sort=alerts", headers={"hx-request": "true", "hx-trigger": "filters"})
    assert live.headers["hx-push-url"] == "/fleet?q=VAN&sort=alerts"
    assert 'hx-get="/fleet/live?page=1"' in live.text
