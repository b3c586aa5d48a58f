"""The portal in the user's language, time zone and number conventions (gettext catalogues via Babel).

Catalogues: `dealer_portal/locale/<language>/LC_MESSAGES/messages.po`, the source of truth kept in git;
they are read (and compiled in memory) once per process, so no binary .mo file is committed or built.
`python -m tools.i18n extract|update|check` keeps them in step with the code (see dealer_portal/README.md).

Which language and zone a request gets (`LocaleMiddleware`): the logged-in user's stored setting
(`users.language`, `users.time_zone`), else the language picked on the login page (cookie), else the
browser's Accept-Language, else English; the zone falls back to `PortalSettings.default_time_zone`.
The choice lives in a context variable for the request, read by `gettext` (the templates' `_`) and the
formatting filters.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
"""The languages offered (gettext locale id -> its own name, as the switcher shows it)."""
HTML_LANG = {"en": "en", "zh_CN": "zh-CN"}
LANG_COOKIE = "dms_lang"
TIME_ZONES = (
    "UTC",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Urumqi",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
)
"""The zones the switcher offers first; any IANA zone name is accepted (`valid_zone`)."""

# Date and time patterns (CLDR pattern syntax) per language: ISO-like in English, as before, and the
# usual 年月日 form in Chinese. Every time the portal shows goes through these, in the user's zone.
PATTERNS = {
    "en": {
        "date": "yyyy-MM-dd",
        "datetime": "yyyy-MM-dd HH:mm",
        "datetime_s": "yyyy-MM-dd HH:mm:ss",
        "time": "HH:mm",
        "time_s": "HH:mm:ss",
        "day": "EEE d MMM",
    },
    "zh_CN": {
        "date": "yyyy年M月d日",
        "datetime": "yyyy年M月d日 HH:mm",
        "datetime_s": "yyyy年M月d日 HH:mm:ss",
        "time": "HH:mm",
        "time_s": "HH:mm:ss",
        "day": "M月d日 EEE",
    },
}
# The strftime formats the templates used, and the pattern each now stands for.
_STRFTIME = {
    "%Y-%m-%d": "date",
    "%Y-%m-%d %H:%M": "datetime",
    "%Y-%m-%d %H:%M:%S": "datetime_s",
    "%H:%M": "time",
    "%H:%M:%S": "time_s",
}


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as f:
        return read_po(f, locale=language, domain=DOMAIN)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The language's catalogue, compiled in memory from its .po (fuzzy entries left out); English and
    a language without a catalogue answer the msgids themselves."""
    if language == DEFAULT_LANGUAGE or not po_path(language).is_file():
        return _gettext.NullTranslations()
    buf = BytesIO()
    write_mo(buf, read_catalog(language), use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def valid_zone(name: str | None) -> str | None:
    """`name` if it is an IANA time zone this system knows, else None."""
    if not name or name not in _zones():
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def negotiate(accept_language: str | None) -> str | None:
    """The offered language the browser prefers most (Accept-Language, with q-values), or None."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and q > 0:
            ranked.append((-q, i, tag.strip()))
    for _q, _i, tag in sorted(ranked):
        if found := language_of(tag):
            return found
    return None


def language_of(tag: str | None) -> str | None:
    """An offered language for a tag like 'zh-CN', 'zh-Hans', 'zh', 'en-GB'; None when none fits."""
    if not tag:
        return None
    if tag in LANGUAGES:
        return tag
    try:
        loc = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    if loc.language == "zh" and loc.script != "Hant" and loc.territory not in ("TW", "HK", "MO"):
        return "zh_CN"
    return "en" if loc.language == "en" else None


@dataclass(frozen=True)
class UserLocale:
    """One request's language, time zone and currency, with the formatting the pages use."""

    language: str = DEFAULT_LANGUAGE
    zone: str = "UTC"
    currency: str = "CNY"
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tz", ZoneInfo(self.zone))

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def html_lang(self) -> str:
        return HTML_LANG.get(self.language, self.language.replace("_", "-"))

    @property
    def babel(self) -> Locale:
        return Locale.parse(self.language)

    def gettext(self, text: str) -> str:
        return translations(self.language).gettext(text) if text else text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(self.language).ngettext(singular, plural, n)

    def local(self, value: datetime) -> datetime:
        """`value` (naive means UTC, as stored) in the user's zone."""
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(self._tz)

    def datetime(self, value: datetime | date | None, kind: str = "datetime") -> str:
        """A time as the user reads it: in their zone, in their language's pattern ('—' for None).
        `kind` is a key of PATTERNS or one of the strftime formats the templates used before."""
        if value is None:
            return "—"
        kind = _STRFTIME.get(kind, kind)
        pattern = PATTERNS.get(self.language, PATTERNS["en"]).get(kind, PATTERNS["en"]["datetime"])
        from babel.dates import format_date, format_datetime

        if not isinstance(value, datetime):
            return format_date(value, pattern, locale=self.babel)
        return format_datetime(self.local(value), pattern, tzinfo=self._tz, locale=self.babel)

    def input_value(self, value: datetime | None) -> str:
        """A time for an <input type=datetime-local>: ISO, in the user's zone."""
        return self.local(value).strftime("%Y-%m-%dT%H:%M") if value else ""

    def parse_local(self, value: datetime) -> datetime:
        """A time typed in the user's zone (naive) as an aware UTC time."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=self._tz)
        return value.astimezone(UTC)

    def number(self, value: float | Decimal | None, digits: int = 0) -> str:
        """A number with the locale's grouping and decimal sign, `digits` fraction digits at most."""
        if value is None:
            return "—"
        fmt = "#,##0" + ("." + "#" * digits if digits > 0 else "")
        return format_decimal(value, format=fmt, locale=self.babel)

    def fixed(self, value: float | Decimal | None, digits: int = 1) -> str:
        """A number with exactly `digits` fraction digits (KPIs, rates)."""
        if value is None:
            return "—"
        fmt = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(value, format=fmt, locale=self.babel)

    def money(self, cents: int | None, currency: str | None = None) -> str:
        """Integer cents as an amount of the portal's currency (or `currency`: an invoice's own), e.g.
        '¥1,234.50' in Chinese."""
        if cents is None:
            return "—"
        return format_currency(Decimal(cents) / 100, currency or self.currency, locale=self.babel)

    def zone_label(self, at: datetime) -> str:
        """The zone as the pages name it, with its offset at `at`: 'Asia/Shanghai (UTC+08:00)'."""
        offset = self.local(at).strftime("%z")
        return f"{self.zone} (UTC{offset[:3]}:{offset[3:]})" if self.zone != "UTC" else "UTC"


_DEFAULT = UserLocale()
_current: ContextVar[UserLocale | None] = ContextVar("dms_portal_locale", default=None)


def current() -> UserLocale:
    """The request's locale (English, UTC outside a request)."""
    return _current.get() or _DEFAULT


def use(locale: UserLocale):
    """Make `locale` the current one (returns the token for `reset`)."""
    return _current.set(locale)


def reset(token) -> None:
    _current.reset(token)


def of_user(language: str | None, zone: str | None, default_zone: str = "UTC") -> UserLocale:
    """The locale a stored user reads in away from a request (an e-mail to them): their language and
    zone, else English and `default_zone`."""
    return UserLocale(language_of(language) or DEFAULT_LANGUAGE, valid_zone(zone) or default_zone)


@contextmanager
def using(locale: UserLocale) -> Iterator[UserLocale]:
    """`locale` as the current one inside the block (texts made for someone other than the requester)."""
    token = use(locale)
    try:
        yield locale
    finally:
        reset(token)


def gettext(text: str) -> str:
    """The current request's translation of `text` (the templates' `_`)."""
    return current().gettext(text)
