"""The portal's user-facing texts that code (not a template) produces, in one place for a later gettext pass.

`N_` marks a text for extraction without translating it here (gettext_noop); templates mark theirs with
`{{ _("...") }}`, the same identity function for now. When the catalogues arrive, `_` becomes the user's
gettext and these keys stay as they are.
"""

from __future__ import annotations


def N_(text: str) -> str:
    return text


_ = N_  # the templates' marker (a Jinja global); gettext of the user's language later

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

# Fatigue-aware dispatch (records/fatigue.py).
DRIVER_FATIGUED = N_(
    "{driver} had {episodes} in the last {hours} h ({detail}). Book a rested driver{suggestion}, or give a reason to book {driver} anyway."
)
RESTED_DRIVERS = N_(" such as {names}")
OVERRIDE_REASON_NEEDED = N_("Reason: say why {driver} may drive all the same (kept in the audit log)")
EPISODE_COUNT = N_("{count} fatigue episode(s)")
FATIGUE_DETAIL = N_("{kinds}; latest {type} at {at} UTC on {vehicle}")

# The vehicle page's route and timeline (records/vehicle_history.py, pages/vehicles.py, charts.py).
NO_POSITIONS_ON_DAY = N_("No positions on this day")
DAY_REFUSED = N_("day: use the form 2026-03-02")
DAY_OUT_OF_RANGE = N_("day: choose a day between 2000 and 2999")
ALERT_LEVEL = N_("level {level}")
ACKNOWLEDGED_BY = N_("acknowledged by {user}")
TRIP_SPAN = N_("{start}–{end}")
TRIP_TOP_SPEED = N_(", up to {speed} km/h")
