"""Texts written once in English and read later in the reader's language (#20): audit-log details, the
reasons the gateway writes on proposed maintenance, notification e-mails, the PDFs' fixed words and the
API documentation's error answers (fast: no browser)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from dealer_portal import i18n, messages
from dealer_portal.messages import localize_note
from tests.support.i18n import untranslated
from tests.support.portal import portal_client

ZH = i18n.UserLocale("zh_CN", "Asia/Shanghai", "CNY")


def _zh(text: str) -> str:
    with i18n.using(ZH):
        return localize_note(text)


def test_the_gateways_rule_reasons_are_the_portals_msgids_and_read_in_chinese():
    from gateway import maintenance

    assert maintenance.REASON_BY_DATE == messages.RULE_DUE_BY_DATE
    assert maintenance.REASON_BY_QUANTITY == messages.RULE_DUE_BY_QUANTITY
    by_km = maintenance.REASON_BY_QUANTITY.format(
        name="Oil", period="15000", unit="km", due="30000", value="29500"
    )
    assert _zh(by_km) == "Oil：每 15000 km，到期于 30000 km（当前 29500 km）"
    by_date = maintenance.REASON_BY_DATE.format(name="Inspection", period="12", due="2027-01-01")
    assert _zh(by_date) == "Inspection：每 12 个月，到期日 2027-01-01"
    assert _zh(f"#12 {by_date}") == "#12 Inspection：每 12 个月，到期日 2027-01-01"  # the vehicle timeline


@pytest.mark.parametrize(
    ("stored", "chinese"),
    [
        (
            "VAN-1 2026-03-02 08:00–2026-03-02 12:00 for Jonas Weber; booked despite: VAN-1 is due for scrapping",
            "VAN-1 2026-03-02 08:00–2026-03-02 12:00，驾驶员 Jonas Weber；不顾警告仍预约：VAN-1 is due for scrapping",
        ),
        ("48210 km, fuel 75 %", "48210 km，油量 75 %"),
        ("INV-D1-2026-0001: 120.00 CNY by wechat", "INV-D1-2026-0001：120.00 CNY，方式 微信支付"),
        ("microsleep by email", "微睡眠，通过 电子邮件"),
        ("temporary password issued", "已发放临时密码"),
        ("Tow bar wobbles", "Tow bar wobbles"),  # typed by a person: as typed
    ],
)
def test_audit_details_read_in_chinese(stored, chinese):
    assert _zh(stored) == chinese
    assert localize_note(stored).startswith(
        stored[:10]
    )  # English (codes as labels) outside a Chinese request


def test_every_audit_format_is_registered_and_translated():
    formats = {v for k, v in vars(messages).items() if k.startswith("AUDIT_") and k != "AUDIT_BOOKED_DESPITE"}
    assert formats <= set(messages.NOTE_FORMATS)
    zh = i18n.translations("zh_CN")
    assert all(zh.gettext(f) != f for f in formats)


def test_an_audit_detail_is_stored_in_english_so_contains_finds_it(session):
    from dealer_portal.records import audit
    from dealer_portal.records.actor import Actor

    admin = Actor("ada", "admin", None)
    audit.record(
        session,
        admin,
        datetime(2026, 3, 2, tzinfo=UTC),
        "x",
        "user",
        "bob",
        messages.AUDIT_TEMPORARY_PASSWORD,
    )
    session.flush()
    found = session.scalars(audit.query(admin, text="temporary password")).all()
    assert [e.detail for e in found] == ["temporary password issued"]


def test_a_notification_email_reads_in_the_recipients_language_and_zone():
    from dealer_portal.notify.worker import Event, _email_text

    event = Event(
        "appointment:1", "maintenance_due", "VAN-1", "D1", datetime(2026, 3, 2, 1, 0, tzinfo=UTC), {}
    )
    body = json.dumps(
        {
            "event": "maintenance_due",
            "vehicle_id": "VAN-1",
            "at": "2026-03-02T01:00:00+00:00",
            "reason": "Oil: every 12 months, due 2026-04-01",
            "due_date": "2026-04-01",
            "dealer_code": "D1",
            "url": "http://portal/vehicles/VAN-1",
        }
    )
    with i18n.using(i18n.of_user("zh_CN", "Asia/Shanghai")):
        subject, text = event.subject(), _email_text(body)
    assert subject == "[DMS] 保养到期：VAN-1"
    assert "时间 2026年3月2日 09:00:00（Asia/Shanghai (UTC+08:00)）" in text
    assert "原因：Oil：每 12 个月，到期日 2026-04-01" in text and "经销商：D1" in text
    assert untranslated(text.splitlines()) == []
    with i18n.using(i18n.of_user(None, None)):
        english = _email_text(body)
    assert (
        "Reason: Oil: every 12 months, due 2026-04-01" in english
        and "at 2026-03-02 01:00:00 (UTC)" in english
    )


def test_the_api_docs_load_a_chinese_openapi_document_for_a_chinese_reader(sample_app):
    from dealer_portal.api_docs import API_DOC_TEXTS
    from gateway.api.app import DESCRIPTION
    from gateway.api.errors import ERROR_RESPONSES

    assert {DESCRIPTION, *(r["description"] for r in ERROR_RESPONSES.values())} <= set(API_DOC_TEXTS)
    app, _clock = sample_app
    ada = portal_client(app, "ada")
    ada.headers["accept-language"] = "en"
    assert "'/api/openapi.json'" in ada.get("/api/docs").text
    ada.headers["accept-language"] = "zh-CN"
    for page in ("/api/docs", "/api/redoc"):
        assert "/api/openapi/zh_CN.json" in ada.get(page).text
    document = ada.get("/api/openapi/zh_CN.json").json()
    descriptions = [  # the answers every route documents
        answer["description"]
        for path in document["paths"].values()
        for operation in path.values()
        for answer in operation.get("responses", {}).values()
    ]
    assert "没有此记录，或该用户无权查看。" in descriptions and "成功响应" in descriptions
    assert untranslated(descriptions) == []
    assert ada.get("/api/openapi/xx.json").status_code == 404
    assert ada.get("/api/openapi.json").json()["info"]["description"] == DESCRIPTION  # clients: English


def test_the_invoice_pdf_labels_follow_the_readers_language(monkeypatch):
    """The fixed words go through gettext at render time (read back from the uncompressed PDF text)."""
    pytest.importorskip("fpdf")
    from types import SimpleNamespace

    from dealer_portal.records import invoice_pdf

    monkeypatch.setattr(invoice_pdf, "_font", lambda: (None, False))  # the core font: text stays readable
    seen: list[str] = []
    real = i18n.gettext
    monkeypatch.setattr(invoice_pdf, "_", lambda t: seen.append(t) or real(t))
    invoice = SimpleNamespace(
        number="INV-1",
        dealer_code="D1",
        issued_at=datetime(2026, 3, 2, tzinfo=UTC),
        customer_name="Li",
        currency="CNY",
        lines=[],
        tax_rate_bp=1300,
        net_cents=100,
        tax_cents=13,
        gross_cents=113,
        paid_cents=0,
        outstanding_cents=113,
    )
    with i18n.using(ZH):
        invoice_pdf.render(invoice, dealer_name="North", vehicle="VAN-1", order_id=1)
    zh = i18n.translations("zh_CN")
    assert {"Invoice {number}", "Outstanding", "VAT {rate} (included)", "Unit price"} <= set(seen)
    assert all(zh.gettext(t) != t for t in seen)


def test_the_zh_walk_would_catch_these_texts_left_in_english():
    """The browser walk flags a portal msgid shown in English; each stored format with words is one."""
    wordy = [
        f
        for f in (*messages.NOTE_FORMATS, *[v for k, v in vars(messages).items() if k.startswith("AUDIT_")])
        if len(re.sub(r"\{\w*\}|[\s.,:;()#%/–\->]", "", f)) >= 6
    ]
    assert len(wordy) > 30
    for msgid in wordy:
        shown = msgid.format(**{k: "X1" for k in re.findall(r"\{(\w+)\}", msgid)})
        assert untranslated([shown]), msgid
