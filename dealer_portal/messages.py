"""The portal's user-facing texts that code (not a template) produces, in one place, marked for gettext.

`N_` marks a text for extraction without translating it (gettext_noop): the English text is the msgid,
translated where it is shown, in the language of whoever reads it. Templates mark theirs with
`{{ _("...") }}` (`_` is `dealer_portal.i18n.gettext`). A text with values is a `Text`: it reads as English
(logs, the CLI, tests) and remembers its msgid and values, so `localize` can show it in the reader's
language: `raise UserError(Text(N_("no vehicle {vehicle}"), vehicle=vid))`.

`python -m tools.i18n extract` collects every N_/_/Text text into dealer_portal/locale/messages.pot.
"""

from __future__ import annotations

import re

from dealer_portal.i18n import gettext as _


def N_(text: str) -> str:
    return text


class Text(str):
    """An English message that keeps its msgid and values for translation when shown (see `localize`)."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, **params: object) -> Text:
        self = super().__new__(cls, msgid.format(**params) if params else msgid)
        self.msgid, self.params = msgid, params
        return self


def joined(items: list[str], sep: str = "; ") -> Text:
    """Several msgids (or Texts) as one value, each read in the reader's language when shown."""
    return Text(
        sep.join(f"{{p{i}}}" for i in range(len(items))),
        **{f"p{i}": t if isinstance(t, Text) else Text(t) for i, t in enumerate(items)},
    )


def localize(text: object) -> str:
    """`text` in the current request's language: a Text with its values (themselves localized when
    they are Texts), a known msgid, or anything else as it is."""
    if isinstance(text, Text):
        params = {k: localize(v) if isinstance(v, Text) else v for k, v in text.params.items()}
        return _(text.msgid).format(**params) if params else _(text.msgid)
    return _(text) if isinstance(text, str) else str(text)


def localize_error(exc: BaseException) -> str:
    """A UserError's message (and hint) in the current request's language."""
    errors = getattr(exc, "errors", None)  # a FieldError: one message per field
    if isinstance(errors, dict) and errors:
        text = "; ".join(localize(v) for v in errors.values())
    else:
        text = localize(exc.args[0] if exc.args else "")
    hint = getattr(exc, "hint", None)
    return f"{text} ({localize(hint)})" if hint else text


# Form input the server refuses: one message per field, next to it (pydantic error types -> human text).
REQUIRED = N_("{what}: fill this in")
TOO_LONG = N_("{what}: at most {limit} characters (you entered {length})")
TOO_SHORT = N_("{what}: at least {limit} characters")
NOT_A_NUMBER = N_("{what}: enter a number, like 12.5")
NOT_A_WHOLE_NUMBER = N_("{what}: enter a whole number, like 12")
AMBIGUOUS_NUMBER = N_(
    "{what}: “{text}” could mean {grouped} or {decimal}; write {grouped} or {decimal} instead"
)
TOO_SMALL = N_("{what}: at least {limit}")
TOO_LARGE = N_("{what}: at most {limit}")
NOT_A_DATE = N_("{what}: enter a date like 2026-03-02")
NOT_A_DATETIME = N_("{what}: enter a date and time like 2026-03-02 08:00")
NOT_ACCEPTED = N_("{what}: this value is not accepted")
NOT_A_CHOICE = N_("{what}: choose one of the offered values")
FORM_NOT_SAVED = N_("Not saved: {message}")
OWN_CHECK = N_("{what}: {error}")

# What a text field may hold, when its pattern refuses the input (by field name).
PATTERN_HINTS = {
    "vehicle_id": N_(
        "{what}: letters, digits, '.', '_' or '-', starting with a letter or digit (like VAN-12)"
    ),
}

# Field names as people read them (by form field name), for messages that name the field.
FIELD_LABELS = {
    "vehicle_id": N_("Fleet id"),
    "model": N_("Model"),
    "plate": N_("Plate"),
    "vin": N_("VIN"),
    "purchase_date": N_("Purchase date"),
    "service_life_years": N_("Service life"),
    "mileage_limit_km": N_("Mileage limit"),
    "dealer_code": N_("Dealer"),
    # new-vehicle stock, sales and logistics (#22)
    "configuration": N_("Configuration"),
    "colour": N_("Colour"),
    "location": N_("Yard location"),
    "coc_number": N_("Certificate of conformity no."),
    "list_price": N_("List price"),
    "interest": N_("Interested in"),
    "source": N_("Source"),
    "options": N_("Options"),
    "trade_in_vin": N_("Trade-in VIN"),
    "trade_in_description": N_("Trade-in vehicle"),
    "received_by": N_("Received by"),
    "waybill": N_("Waybill"),
    "carrier": N_("Carrier"),
    "vins": N_("Loading list"),
    "position": N_("Last position"),
}

# Pages for what is not there.
PAGE_NOT_FOUND = N_("Page not found")
PAGE_NOT_FOUND_TEXT = N_("There is no page at {path}. Check the address, or start again from the menu.")
REQUEST_REFUSED = N_("This address does not take that kind of request. Go back and use the page's buttons.")

# Cross-checks between dispatch, the workshop and scrapping.
DUE_FOR_SCRAPPING = N_(
    "{vehicle} is due for scrapping ({reasons}). Tick “Book anyway” to book it all the same, or choose another vehicle."
)

# Titles of the error pages.
NOT_ALLOWED = N_("Not allowed")
NOT_FOUND = N_("Not found")
CANNOT_DO_THAT = N_("Cannot do that")
CSRF_FAILED = N_("the form has expired or did not come from this portal (CSRF check failed); reload the page")
HTTP_STATUS = {
    400: N_("Bad request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    413: N_("Content Too Large"),
    422: N_("Unprocessable Content"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
}

# The main menu.
NAV = [
    ("fleet", "/fleet", N_("Fleet board")),
    ("vehicles", "/vehicles", N_("Vehicles")),
    ("dispatch", "/dispatch", N_("Dispatch")),
    ("service", "/service", N_("Service")),
    ("workshop", "/workshop", N_("Workshop")),
    ("customers", "/customers", N_("Customers")),
    ("customers", "/reminders", N_("Reminders")),
    ("warranty", "/warranty", N_("Warranty")),
    ("invoices", "/invoices", N_("Invoices")),
    ("invoices", "/payables", N_("Payables")),
    ("parts", "/parts", N_("Parts")),
    ("scrapping", "/scrapping", N_("Scrapping")),
    ("stock", "/stock", N_("Stock")),
    ("sales", "/sales", N_("Sales")),
    ("appraisal", "/used-cars", N_("Used cars")),
    ("logistics", "/logistics", N_("Logistics")),
    ("exchange", "/exchange", N_("Exchange")),
    ("kpis", "/kpis", N_("KPIs")),
    ("audit", "/audit", N_("Audit")),
    ("notifications", "/notifications", N_("Notifications")),
    ("admin", "/admin", N_("Admin")),
]

# Login.
TOO_MANY_SIGN_INS = N_("Too many failed sign-ins; try again in {wait} s.")
WRONG_PASSWORD = N_("Wrong user name or password.")
SAVED = N_("saved")
LANGUAGE_SAVED = N_("Language and time zone saved")
UNKNOWN_LANGUAGE = N_("choose one of the offered languages")
UNKNOWN_ZONE = N_("unknown time zone {zone}: choose one of the list")

# Notes the records layer writes into service transitions and stock movements: stored in English (the
# record as it was made), shown in the reader's language by `localize_note`, which recognises them.
NOTE_APPOINTMENT = N_("appointment {when}")
NOTE_ESTIMATE = N_("estimate {amount}")
NOTE_PAY_TYPE = N_("pay type {pay_type}")
NOTE_TECHNICIAN = N_("technician {name}")
NOTE_PASSED = N_("passed")
NOTE_FAILED = N_("failed")
NOTE_PASSED_WITH = N_("passed: {note}")
NOTE_FAILED_WITH = N_("failed: {note}")
NOTE_WORK_ORDER = N_("work order {id}")
NOTE_COUNTED = N_("counted {counted}, book {book}")
NOTE_INVOICE = N_("invoice {amount} (total {total})")
# Audit-log details the records layer writes: stored in English (so "Contains" finds them), shown in the
# reader's language by `localize_note` (the audit page's `note` filter). Values that are codes (a
# channel, a payment method, an event type) read as labels.
AUDIT_BOOKED = N_("{vehicle} {starts}–{ends} for {driver}")
AUDIT_BOOKED_DESPITE = N_("; booked despite: {warning}")
AUDIT_FATIGUE_OVERRIDE = N_("{driver}: {episodes}; alerts {alerts}; reason: {reason}")
AUDIT_ODOMETER_FUEL = N_("{km} km{note}, fuel {fuel} %")
AUDIT_RETURN_AT_WORKSHOP = N_("{km} km at workshop reception (work order #{order})")
AUDIT_ORDERED_FROM = N_("{order} to {supplier}: {lines}")
AUDIT_BIN_MOVE = N_("{part} bin {bin} {delta} {note}")
AUDIT_QUOTE = N_("quote {quote} on {vin}: {total} cents, discount {discount}")
AUDIT_APPRAISAL = N_("{vin} {model}, grade {grade}, offered {cents} cents")
AUDIT_APPRAISAL_PENDING = N_("{vin} {model}, grade {grade}, offered {cents} cents (needs approval)")
AUDIT_PROMOTION = N_("{sponsor} {name}: {cents} cents, {start}..{end}, {models}")
AUDIT_FINANCE_APPLICATION = N_("{lender}: {cents} cents over {months} months at {bp} bp, {monthly} a month")
AUDIT_FLOOR_PLAN = N_("{lender}: {cents} cents at {bp} bp from {start}")
AUDIT_FLOOR_PLAN_REPAID = N_("repaid {cents} cents + interest {interest} cents for {days} days")
AUDIT_FLOOR_PLAN_PAYOFF = N_(
    "paid off at sale {order}: {cents} cents + interest {interest} cents for {days} days"
)
AUDIT_VEHICLE_INVOICED = N_("{invoice} for sales order {order}: {amount} {currency}")
AUDIT_QUOTE_PROMOTION = N_(
    "quote {quote} on {vin}: {total} cents, discount {discount}, promotion {promotion} {promotion_cents}"
)
AUDIT_QUOTE_PROMOTION_PENDING = N_(
    "quote {quote} on {vin}: {total} cents, discount {discount}, promotion {promotion} {promotion_cents} "
    "(needs approval)"
)
AUDIT_QUOTE_PENDING = N_("quote {quote} on {vin}: {total} cents, discount {discount} (needs approval)")
AUDIT_CENTS_NOTE = N_("{cents} cents; {note}")
AUDIT_VIN_CENTS = N_("{vin} {cents} cents")
AUDIT_PLATE = N_("{order}: plate {before} -> {after}")
AUDIT_DELIVERED_AS = N_("{vin} delivered as fleet vehicle {vehicle}")
# The handover record of a delivered sales order (its checklist items are the HANDOVER_ITEMS msgids).
HANDOVER_RECEIVED_BY = N_("received by: {name}")
HANDOVER_ODOMETER = N_("odometer: {km} km")
HANDOVER_PLATE = N_("plate: {plate}")
HANDOVER_TRADE_IN = N_("trade-in taken in: {vin}, {km} km")
AUDIT_AMENDED = N_("{action} {item}: estimate {before} -> {after}, approved by {by} ({method}, {at})")
AUDIT_PROMISED = N_("promised {after}")
AUDIT_PROMISED_CHANGED = N_("promised {before} -> {after}")
AUDIT_MINUTES = N_("{minutes} min")
AUDIT_CLAIM_DRAFTED = N_("{claim} for work order {order}: {amount}")
AUDIT_PARTS_RETURNED = N_("{claim}: parts returned, {reference}")
AUDIT_DOCUMENT = N_("document {file}")
AUDIT_DOCUMENT_BYTES = N_("document {file} ({size} bytes)")
AUDIT_REQUEST_PREFERRED = N_("{vehicle}: {reason}; preferred {day}")
AUDIT_INVOICED = N_("{invoice} for work order {order}: {amount} {currency}")
AUDIT_PAID = N_("{invoice}: {amount} {currency} by {method}")
AUDIT_RECEIVED = N_("{count} vehicles, damaged: none")
AUDIT_RECEIVED_DAMAGED = N_("{count} vehicles, damaged: {damaged}")
AUDIT_FREIGHT = N_("freight {freight} - claims {claims} = {net} cents")
AUDIT_DAMAGE_CLAIM = N_("{damage} (claim {cents} cents)")
AUDIT_OWNS = N_("owns {vehicle}")
AUDIT_DEALER_SETTINGS = N_(
    "currency {currency_before} -> {currency}; VAT {vat_before} % -> {vat} %; service interval "
    "{months_before} -> {months} months; renewals {days_before} -> {days} days ahead; labour cost "
    "{labour_before} -> {labour} cents an hour"
)
AUDIT_RENEWALS = N_("{vehicle}: inspection due {inspection}, insurance expires {insurance}")
AUDIT_REMINDER_DONE = N_("{vehicle} ({key}) handled without e-mail: {note}")
AUDIT_COMPLAINT = N_("complaint #{id} ({channel}): {text}")
AUDIT_COMPLAINT_RESOLVED = N_("complaint #{id}: {text}")
AUDIT_MERGED = N_("merged {duplicate} into {keep}: {moved} work order(s) moved")
AUDIT_SCORE = N_("score {score}")
AUDIT_SCORE_COMMENT = N_("score {score}: {comment}")
AUDIT_TRADE_IN = N_("from {order}: {model}, {km} km, valued {cents} cents")
AUDIT_TEMPORARY_PASSWORD = N_("temporary password issued")
AUDIT_RESET_LINK_SENT = N_("one-time reset link sent to {email}, valid until {until}")
AUDIT_RESET_LINK_USED = N_("password set with a one-time link")
AUDIT_RULE_BY = N_("{event_type} by {channel}")
AUDIT_BY_MANUFACTURER = N_("by the manufacturer")
AUDIT_MODEL_STATUS = N_("{model}, status {status}")
_DESPITE = AUDIT_BOOKED_DESPITE.split("{")[0]
# The reasons the gateway writes on the service appointments a maintenance rule proposes
# (gateway.maintenance.REASON_*; a test keeps them equal), shown through `localize_note` too.
RULE_DUE_BY_DATE = N_("{name}: every {period} months, due {due}")
RULE_DUE_BY_QUANTITY = N_("{name}: every {period} {unit}, due at {due} {unit} (now {value} {unit})")

NOTE_FORMATS = (
    NOTE_APPOINTMENT,
    NOTE_ESTIMATE,
    NOTE_PAY_TYPE,
    NOTE_TECHNICIAN,
    NOTE_PASSED,
    NOTE_FAILED,
    NOTE_PASSED_WITH,
    NOTE_FAILED_WITH,
    NOTE_WORK_ORDER,
    NOTE_COUNTED,
    NOTE_INVOICE,
    # audit details: more specific formats before the ones they extend
    AUDIT_FATIGUE_OVERRIDE,
    AUDIT_RETURN_AT_WORKSHOP,
    AUDIT_ODOMETER_FUEL,
    AUDIT_QUOTE_PROMOTION_PENDING,
    AUDIT_QUOTE_PROMOTION,
    AUDIT_APPRAISAL_PENDING,
    AUDIT_APPRAISAL,
    AUDIT_PROMOTION,
    AUDIT_FINANCE_APPLICATION,
    AUDIT_FLOOR_PLAN_PAYOFF,
    AUDIT_FLOOR_PLAN_REPAID,
    AUDIT_FLOOR_PLAN,
    AUDIT_QUOTE_PENDING,
    AUDIT_QUOTE,
    AUDIT_CENTS_NOTE,
    AUDIT_VIN_CENTS,
    AUDIT_PLATE,
    AUDIT_AMENDED,
    AUDIT_PROMISED_CHANGED,
    AUDIT_PROMISED,
    AUDIT_MINUTES,
    AUDIT_CLAIM_DRAFTED,
    AUDIT_PARTS_RETURNED,
    AUDIT_DOCUMENT_BYTES,
    AUDIT_DOCUMENT,
    AUDIT_REQUEST_PREFERRED,
    AUDIT_VEHICLE_INVOICED,
    AUDIT_INVOICED,
    AUDIT_PAID,
    AUDIT_RECEIVED,
    AUDIT_RECEIVED_DAMAGED,
    AUDIT_FREIGHT,
    AUDIT_DAMAGE_CLAIM,
    AUDIT_OWNS,
    AUDIT_DEALER_SETTINGS,
    AUDIT_RENEWALS,
    AUDIT_REMINDER_DONE,
    AUDIT_COMPLAINT,
    AUDIT_COMPLAINT_RESOLVED,
    AUDIT_MERGED,
    AUDIT_SCORE_COMMENT,
    AUDIT_SCORE,
    AUDIT_TRADE_IN,
    AUDIT_TEMPORARY_PASSWORD,
    AUDIT_RESET_LINK_SENT,
    AUDIT_RESET_LINK_USED,
    AUDIT_RULE_BY,
    AUDIT_BY_MANUFACTURER,
    AUDIT_MODEL_STATUS,
    AUDIT_DELIVERED_AS,
    HANDOVER_TRADE_IN,
    HANDOVER_RECEIVED_BY,
    HANDOVER_ODOMETER,
    HANDOVER_PLATE,
    AUDIT_ORDERED_FROM,
    AUDIT_BOOKED,
    AUDIT_BIN_MOVE,
    RULE_DUE_BY_DATE,
    RULE_DUE_BY_QUANTITY,
)
# Values of these names are stored codes, read as labels.
_LABELLED = {"pay_type", "channel", "method", "event_type", "action", "status", "sponsor"}
# A change of state as the records layer writes it: "received -> estimated", then maybe ": <note>".
_TRANSITION = re.compile(r"(?P<before>[a-z_]+) -> (?P<after>[a-z_]+)(?:: (?P<note>.*))?", re.DOTALL)
PAYMENT_METHODS = {
    "cash": N_("cash"),
    "card": N_("bank card"),
    "transfer": N_("bank transfer"),
    "wechat": N_("WeChat Pay"),
    "alipay": N_("Alipay"),
    # not offered on the payment form: the deposit taken at signing, credited on the vehicle's invoice
    "deposit": N_("deposit on the contract"),
}


def _value_label(name: str, value: str) -> str:
    """A value read back from a stored note: a code shown as its label, anything else as it is."""
    if name == "note":  # a note inside a note (a stock movement's "work order 7")
        return localize_note(value)
    if name not in _LABELLED:
        return value
    known = PAYMENT_METHODS.get(value) if name == "method" else None
    known = known or LABELS.get(value)
    return _(known) if known else value


def _note_pattern(msgid: str) -> re.Pattern[str]:
    """A regex that reads the values back out of a text written with `msgid` (a value named twice must
    be the same both times)."""
    out, seen = [], set()
    for text, name in re.findall(r"([^{]+)|\{(\w+)\}", msgid):
        if not name:
            out.append(re.escape(text))
        elif name in seen:
            out.append(f"(?P={name})")
        else:
            seen.add(name)
            out.append(f"(?P<{name}>.*?)")
    return re.compile("".join(out), re.DOTALL)


_NOTE_PATTERNS = [(f, _note_pattern(f)) for f in NOTE_FORMATS]


def localize_note(text: str | None) -> str:
    """A note as stored, in the reader's language when the records layer wrote it in one of
    NOTE_FORMATS (values that are codes, such as a pay type, read as labels); anything else, typed by
    a person, as it is."""
    if not text:
        return text or ""
    if _DESPITE in text:  # a booking made despite warnings: the booking, then each warning
        head, *warnings = text.split(_DESPITE)
        return localize_note(head) + "".join(_(AUDIT_BOOKED_DESPITE).format(warning=w) for w in warnings)
    prefix, _sep, rest = text.partition(": ")  # a record's number first ("WC-1: submitted -> accepted")
    for head, tail in ((text, ""), (rest, f"{prefix}: ")) if rest else ((text, ""),):
        if (moved := _TRANSITION.fullmatch(head)) and moved["before"] in LABELS and moved["after"] in LABELS:
            shown = f"{label(moved['before'])} -> {label(moved['after'])}"
            shown = _(OWN_CHECK).format(what=tail[:-2], error=shown) if tail else shown
            note = moved["note"]
            return _(OWN_CHECK).format(what=shown, error=localize_note(note)) if note else shown
    for msgid, pattern in _NOTE_PATTERNS:
        if found := pattern.fullmatch(text):
            values = {k: _value_label(k, v) for k, v in found.groupdict().items()}
            return _(msgid).format(**values)
    return text


# Values stored as codes and shown to people: roles, statuses, alert and event types, pay types,
# disposal methods, stock movements, audit actions and records, sort orders (`label` filter).
LABELS = {
    # roles
    "admin": N_("admin"),
    "dispatcher": N_("dispatcher"),
    "service_advisor": N_("service advisor"),
    "technician": N_("technician"),
    # vehicle status, connection
    "active": N_("active"),
    "in_maintenance": N_("in maintenance"),
    "retired": N_("retired"),
    "online": N_("online"),
    "offline": N_("offline"),
    # bookings
    "booked": N_("booked"),
    "checked_out": N_("checked out"),
    "returned": N_("returned"),
    "cancelled": N_("cancelled"),
    # scrap requests
    "requested": N_("requested"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    # alert / event types and driver states
    "microsleep": N_("microsleep"),
    "sleep": N_("sleep"),
    "drowsiness": N_("drowsiness"),
    "drowsy": N_("drowsy"),
    "distraction": N_("distraction"),
    "distracted": N_("distracted"),
    "phone_use": N_("phone use"),
    "phone": N_("phone"),
    "smoking": N_("smoking"),
    "yawning": N_("yawning"),
    "yawn": N_("yawn"),
    "eyes_closed": N_("eyes closed"),
    "looking_away": N_("looking away"),
    "no_face": N_("no face"),
    "unresponsive": N_("unresponsive"),
    "long_distraction": N_("long distraction"),
    "vats": N_("repeated glances away"),
    "repeated_fatigue": N_("repeated fatigue"),
    "driver_event": N_("driver event"),
    "not_monitoring": N_("not monitoring"),
    "camera_blocked": N_("camera blocked"),
    "seatbelt": N_("seatbelt"),
    "alert": N_("alert"),
    "attentive": N_("attentive"),
    "normal": N_("normal"),
    "ok": N_("ok"),
    "unknown": N_("unknown"),
    "fatigue": N_("fatigue"),
    "hours": N_("hours"),
    # service orders
    "maintenance": N_("maintenance"),
    "repair": N_("repair"),
    "inspection": N_("inspection"),
    "labour": N_("labour"),
    "part": N_("part"),
    "customer": N_("customer"),
    "per line": N_("per line"),
    "warranty": N_("warranty"),
    "internal": N_("internal"),
    # disposal methods
    "recycling": N_("recycling"),
    "sale": N_("sale"),
    "auction": N_("auction"),
    "return_to_lessor": N_("return to lessor"),
    "scrapyard": N_("scrapyard"),
    # stock movements
    "receive": N_("receive"),
    "return": N_("return"),
    "transfer": N_("transfer"),
    "transfer_in": N_("transfer in"),
    "transfer_out": N_("transfer out"),
    "count": N_("count"),
    "issue": N_("issue"),
    "adjust": N_("adjust"),
    # audit records and sorts
    "vehicle": N_("vehicle"),
    "booking": N_("booking"),
    "service_order": N_("service order"),
    "user": N_("user"),
    "newest": N_("newest"),
    "oldest": N_("oldest"),
    "who": N_("who"),
    "record": N_("record"),
    # areas of the portal (refusals: "a technician may not use dispatch")
    "fleet": N_("fleet"),
    "vehicles": N_("vehicles"),
    "dispatch": N_("dispatch"),
    "service_desk": N_("service desk"),
    "scrapping": N_("scrapping"),
    "scrap_approval": N_("scrap approval"),
    "kpis": N_("kpis"),
    "audit": N_("audit"),
    # audit actions (service steps as "service:<state>")
    "odometer": N_("odometer"),
    "scrap": N_("scrap"),
    "request": N_("request"),
    "item": N_("item"),
    "proposed": N_("proposed"),
    "received": N_("received"),
    "estimated": N_("estimated"),
    "ordered": N_("ordered"),
    "assigned": N_("assigned"),
    "parts_issued": N_("parts issued"),
    "checked": N_("checked"),
    "settled": N_("settled"),
    "acknowledge": N_("acknowledge"),
    "cancel": N_("cancel"),
    "create": N_("create"),
    "update": N_("update"),
    "login": N_("login"),
    "preferences": N_("preferences"),
    "archive": N_("archive"),
    "restore": N_("restore"),
    "decide": N_("decide"),
    "book": N_("book"),
    "parts": N_("parts"),
    # disposal methods as stored
    "recycle": N_("recycle"),
    # odometer sources
    "reception": N_("reception"),
    "manual": N_("manual"),
    "telemetry": N_("telemetry"),
    "checkout": N_("checkout"),
    "service": N_("service"),
    # areas added with sales, logistics, admin screens and notifications
    "stock": N_("stock"),
    "sales": N_("sales"),
    "sales_approval": N_("discount approval"),
    "appraisal": N_("used-car buying"),
    "promotions": N_("promotions"),
    "floor_plan": N_("floor plan"),
    "manufacturer": N_("manufacturer"),
    "appraised": N_("appraised"),
    "bought": N_("bought"),
    "withdrawn": N_("withdrawn"),
    "declined": N_("declined"),
    "logistics": N_("logistics"),
    "exchange": N_("manufacturer exchange"),
    "notifications": N_("notifications"),
    "request_service": N_("service requests"),
    # new-vehicle stock, leads, orders, shipments, claims, discounts
    "in_transit": N_("in transit"),
    "in_stock": N_("in stock"),
    "pdi_done": N_("PDI done"),
    "reserved": N_("reserved"),
    "delivered": N_("delivered"),
    "open": N_("open"),
    "quoted": N_("quoted"),
    "won": N_("won"),
    "lost": N_("lost"),
    "signed": N_("signed"),
    "arrived": N_("arrived"),
    "none": N_("none"),
    "pending": N_("pending"),
    "refused": N_("refused"),
    "claimed": N_("claimed"),
    "noted": N_("noted"),
    "deducted": N_("deducted"),
    "model": N_("model"),
    "vin": N_("VIN"),
    # notifications: deliveries and channels
    "sent": N_("sent"),
    "failed": N_("failed"),
    "email": N_("e-mail"),
    "webhook": N_("webhook"),
    # maintenance rule types
    "km": N_("km"),
    "engine_hours": N_("engine hours"),
    "months": N_("months"),
    # why the gateway refused a message (dead letters)
    "bad_topic": N_("bad topic"),
    "invalid": N_("invalid"),
    "not_json": N_("not JSON"),
    "too_large": N_("too large"),
    "unknown_encoding": N_("unknown encoding"),
    "unknown_kind": N_("unknown kind"),
    "vehicle_mismatch": N_("vehicle mismatch"),
    "unknown_vehicle": N_("unknown vehicle"),
    # audit actions and records of the new screens
    "dead_letter_discarded": N_("dead letter discarded"),
    "dead_letter_replayed": N_("dead letter replayed"),
    "dealer_added": N_("dealer added"),
    "dealer_renamed": N_("dealer renamed"),
    "password_reset": N_("password reset"),
    "password_reset_link": N_("reset link sent"),
    "password_reset_link_used": N_("password set by link"),
    "rule_added": N_("rule added"),
    "rule_changed": N_("rule changed"),
    "rule_enabled": N_("rule enabled"),
    "rule_disabled": N_("rule disabled"),
    "rule_on": N_("rule on"),
    "rule_off": N_("rule off"),
    "rule_deleted": N_("rule deleted"),
    "user_added": N_("user added"),
    "user_changed": N_("user changed"),
    "user_enabled": N_("user enabled"),
    "user_disabled": N_("user disabled"),
    "notify": N_("notifications"),
    "discount_approved": N_("discount approved"),
    "discount_refused": N_("discount refused"),
    "damage": N_("damage"),
    "deliver": N_("deliver"),
    "import": N_("import"),
    "pdi": N_("PDI"),
    "quote": N_("quote"),
    "reserve": N_("reserve"),
    "settle": N_("settle"),
    "ship": N_("ship"),
    "sign": N_("sign"),
    "track": N_("track"),
    "upload": N_("upload"),
    "fatigue_override": N_("fatigue override"),
    "dead_letter": N_("dead letter"),
    "dealer": N_("dealer"),
    "maintenance_rule": N_("maintenance rule"),
    "notification": N_("notification"),
    "sales_lead": N_("sales lead"),
    "sales_order": N_("sales order"),
    "sales_quote": N_("sales quote"),
    "stock_vehicle": N_("stock vehicle"),
    "shipment": N_("shipment"),
    # used-car buying, promotions, financing, floor plan, yard map (#22)
    "move": N_("move"),
    "appraise": N_("appraise"),
    "withdraw": N_("withdraw"),
    "finance": N_("finance application"),
    "finance_approved": N_("finance approved"),
    "finance_declined": N_("finance declined"),
    "used_car_appraisal": N_("used-car appraisal"),
    "promotion": N_("promotion"),
    "yard_zone": N_("yard zone"),
    # vehicle-sale invoices and the floor plan paid off at delivery (#22, dp0010)
    "floor_plan_payoff": N_("floor plan paid off"),
    "repaid": N_("repaid"),
    "sold": N_("sold"),
    "sales_invoice": N_("vehicle-sale invoices"),
    # purchase orders and warranty claims (#21)
    "partly_received": N_("partly received"),
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "accepted": N_("accepted"),
    "credited": N_("credited"),
    "amend": N_("amend"),
    "add": N_("add"),
    "clock_on": N_("clock on"),
    "clock_off": N_("clock off"),
    "complaint": N_("complaint"),
    "counter_sale": N_("counter sale"),
    "edit": N_("edit"),
    "invoice": N_("invoice"),
    "merge": N_("merge"),
    "parts_returned": N_("parts returned"),
    "payment": N_("payment"),
    "promised": N_("promised"),
    "purchase": N_("purchase"),
    "purchase_order": N_("purchase order"),
    "resolved": N_("resolved"),
    "survey": N_("survey"),
    "warranty_claim": N_("warranty claim"),
    # sales roles and areas (#22), after-sales areas (#21)
    "salesperson": N_("salesperson"),
    "sales_manager": N_("sales manager"),
    "stock_edit": N_("stock records"),
    "sales_all": N_("the whole sales desk"),
    "credit_admin": N_("the dealer credit"),
    "customers": N_("customers"),
    "labour_clock": N_("the labour clock"),
    "invoices": N_("invoices"),
    "used": N_("used"),
    "new": N_("new"),
    # teams, reminders, dealer settings and payables (#21, dp0008)
    "dealer_settings": N_("the invoicing settings"),
    "workshop": N_("the workshop"),
    "payables_approval": N_("approving supplier invoices"),
    "settings": N_("settings"),
    "team": N_("team"),
    "team_created": N_("team created"),
    "profile": N_("profile"),
    "skill": N_("skill"),
    "reminder": N_("reminder"),
    "supplier_invoice": N_("supplier invoice"),
    "recorded": N_("recorded"),
    "difference_accepted": N_("difference accepted"),
    # record kinds of the manufacturer exchange file
    "orders": N_("orders"),
    "warranty_claims": N_("warranty claims"),
    "parts_orders": N_("parts orders"),
}


def label_msgid(code: str) -> str:
    """The msgid people read for a stored code (untranslated, for a Text's values)."""
    return LABELS.get(code, code.replace("_", " "))


def label(value: object) -> str:
    """A stored code as people read it, in the current language ('checked_out' -> 'checked out')."""
    if value is None:
        return "—"
    text = str(value)
    if ":" in text:  # an audit action such as "service:booked"
        return ":".join(label(part) for part in text.split(":"))
    known = LABELS.get(text)
    return _(known) if known else text.replace("_", " ")


# Fatigue-aware dispatch (records/fatigue.py).
DRIVER_FATIGUED = N_(
    "{driver} had {episodes} in the last {hours} h ({detail}). Book a rested driver{suggestion}, or give a reason to book {driver} anyway."
)
RESTED_DRIVERS = N_(" such as {names}")
OVERRIDE_REASON_NEEDED = N_("Reason: say why {driver} may drive all the same (kept in the audit log)")
EPISODE_COUNT = N_("{count} fatigue episode(s)")
EPISODES_OF_TYPE = N_("{count}× {type}")
FATIGUE_DETAIL = N_("{kinds}; latest {type} at {at} UTC on {vehicle}")

# The vehicle page's route and timeline (records/vehicle_history.py, pages/vehicles.py, charts.py).
NO_POSITIONS_ON_DAY = N_("No positions on this day")
DAY_REFUSED = N_("day: use the form 2026-03-02")
DAY_OUT_OF_RANGE = N_("day: choose a day between 2000 and 2999")
ALERT_LEVEL = N_("level {level}")
ACKNOWLEDGED_BY = N_("acknowledged by {user}")
TRIP_SPAN = N_("{start}–{end}")
TRIP_TOP_SPEED = N_("up to {speed} km/h")
