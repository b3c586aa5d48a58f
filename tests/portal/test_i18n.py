"""The catalogues, the language and zone choice, and locale formatting (fast: no browser)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from dealer_portal import i18n
from dealer_portal.forms import FieldError, utc_datetime
from dealer_portal.messages import N_, Text, label, localize
from tests.support.i18n import untranslated
from tests.support.portal import csrf_of, portal_client

ZH = i18n.UserLocale("zh_CN", "Asia/Shanghai", "CNY")
EN = i18n.UserLocale("en", "UTC", "CNY")


def test_every_text_of_the_code_is_translated():
    from tools.i18n import problems

    assert problems() == []


def test_the_catalogue_is_read_from_the_po_and_translates():
    assert i18n.translations("zh_CN").gettext("Fleet board") == "车队看板"
    assert i18n.translations("en").gettext("Fleet board") == "Fleet board"
    assert ZH.ngettext("{n} order", "{n} orders", 3).format(n=3) == "3 个工单"


def test_a_text_with_values_reads_as_english_and_shows_in_the_readers_language():
    message = Text(N_("booking #{id} saved"), id=7)
    assert str(message) == "booking #7 saved"
    token = i18n.use(ZH)
    try:
        assert localize(message) == "用车预约 #7 已保存"
        assert label("checked_out") == "已出车" and label("service:ordered") == "维修:已开单"
    finally:
        i18n.reset(token)
    assert localize(message) == "booking #7 saved"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE, zh-Hans;q=0.5", "zh_CN"),
        ("zh-TW", None),
        ("fr;q=bad, en;q=0.1", "en"),
        ("", None),
    ],
)
def test_accept_language_picks_an_offered_language(header, language):
    assert i18n.negotiate(header) == language


def test_numbers_money_and_times_follow_the_locale_and_zone():
    at = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert ZH.datetime(at) == "2026年3月3日 07:30"  # Shanghai is UTC+8
    assert EN.datetime(at) == "2026-03-02 23:30"
    assert ZH.money(123450) == "¥1,234.50" and EN.money(123450) == "CN¥1,234.50"
    assert ZH.number(12345.678, 1) == "12,345.7" and EN.fixed(2, 2) == "2.00"
    assert ZH.zone_label(at) == "Asia/Shanghai (UTC+08:00)" and EN.zone_label(at) == "UTC"


def test_a_time_typed_in_the_users_zone_is_stored_in_utc_and_bad_input_is_refused_in_chinese():
    token = i18n.use(ZH)
    try:
        assert utc_datetime("2026-03-03T07:30", "Start", field="starts_at") == datetime(
            2026, 3, 2, 23, 30, tzinfo=UTC
        )
        with pytest.raises(FieldError) as refused:
            utc_datetime("tomorrow", N_("Start"), field="starts_at")
        assert (
            localize(refused.value.errors["starts_at"]) == "开始时间：请输入日期和时间，如 2026-03-02 08:00"
        )
    finally:
        i18n.reset(token)


def test_the_user_setting_wins_over_the_browser_and_is_stored(sample_app):
    app, _clock = sample_app
    dora = portal_client(app, "dora")
    dora.headers["accept-language"] = "zh-CN"
    page = dora.get("/fleet").text
    assert '<html lang="zh-CN">' in page and "车队看板" in page and "时间为 UTC。" in page
    saved = dora.post(
        "/preferences",
        data={"language": "en", "time_zone": "Asia/Shanghai", "next": "/fleet", "csrf_token": csrf_of(page)},
    )
    assert saved.status_code == 303
    page = dora.get("/fleet").text
    assert '<html lang="en">' in page and "Asia/Shanghai (UTC+08:00)" in page
    refused = dora.post(
        "/preferences", data={"language": "xx", "csrf_token": csrf_of(page)}, headers={"referer": "/fleet"}
    )
    assert refused.status_code == 422 and "choose one of the offered languages" in refused.text
    dora.post("/preferences", data={"language": "zh_CN", "time_zone": "", "csrf_token": csrf_of(page)})


def test_pages_and_form_errors_in_chinese_leave_no_portal_english(sample_app):
    app, _clock = sample_app
    sam = portal_client(app, "sam")
    sam.headers["accept-language"] = "zh-CN"
    page = sam.get("/vehicles/VAN-1").text
    refused = sam.post(
        "/vehicles/VAN-1/odometer",
        data={"km": "12,500", "csrf_token": csrf_of(page)},
        headers={"referer": "http://testserver/vehicles/VAN-1"},
    )
    assert refused.status_code == 422
    assert "里程表：“12,500”可能是 12500，也可能是 12.500" in refused.text
    texts = re.findall(
        r">([^<>]+)<", re.sub(r"<(script|style|select)\b.*?</\1>", "", refused.text, flags=re.DOTALL)
    )
    assert untranslated(texts) == []
    assert "页面不存在" in sam.get("/nowhere").text


def test_a_refusal_of_the_records_layer_reads_in_chinese_and_stays_english_elsewhere(sample_app):
    app, _clock = sample_app
    tim = portal_client(app, "tim")
    tim.headers["accept-language"] = "zh-CN"
    refused = tim.get("/dispatch")
    assert refused.status_code == 403
    assert "无权操作" in refused.text and "技师无权使用车辆调度" in refused.text
    tim.headers["accept-language"] = "en"
    assert "a technician may not use dispatch" in tim.get("/dispatch").text


def test_notes_the_records_layer_wrote_read_in_chinese_and_typed_notes_stay_as_typed():
    from dealer_portal.messages import localize_note

    token = i18n.use(ZH)
    try:
        assert localize_note("pay type per line") == "付费类型：按项目"
        assert localize_note("passed: road test ok") == "合格：road test ok"
        assert localize_note("counted 5, book 4") == "盘点 5，账面 4"
        assert localize_note("rattle from rear door") == "rattle from rear door"
    finally:
        i18n.reset(token)
    assert localize_note("work order 7") == "work order 7"


def test_dispatch_days_run_midnight_to_midnight_in_the_users_zone(sample_app):
    app, _clock = sample_app
    dora = portal_client(app, "dora")
    page = dora.get("/dispatch?day=2026-03-02").text
    dora.post(
        "/preferences", data={"language": "en", "time_zone": "Asia/Shanghai", "csrf_token": csrf_of(page)}
    )
    page = dora.get("/dispatch?day=2026-03-02").text
    assert 'name="day" value="2026-03-02"' in page
    assert "Bookings from 2026-03-02 for 7 days (times in Asia/Shanghai (UTC+08:00))." in page
    assert ">Mon 2 Mar</text>" in page  # the timeline's first day, starting 2026-03-01 16:00 UTC
