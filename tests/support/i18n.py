"""Finding English left on a page shown in another language: the portal's own English texts (the msgids
of dealer_portal/locale/messages.pot) compared with what the page shows. Data typed by people (names,
models, notes) stays as typed and is not flagged, since it is no msgid."""

from __future__ import annotations

import re
from functools import cache

# Texts that are the same in every language: units, codes, the product's name, loanwords ("Webhook"
# is what Chinese admin screens call it too).
SAME_IN_EVERY_LANGUAGE = {"km", "DMS", "VIN", "CSV", "KB", "UTC", "English", "h", "PDF", "Webhook", "webhook"}


@cache
def english_patterns() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """The msgids without values (compared as whole texts, case-insensitive) and those with
    {placeholders} as patterns."""
    from babel.messages.pofile import read_po

    from dealer_portal.i18n import LOCALE_DIR

    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        ids = [m.id for m in read_po(f) if m.id]
    plain, patterns = set(), []
    for mid in ids:
        for text in mid if isinstance(mid, tuple) else (mid,):
            if "{" in text:
                parts = re.split(r"\{\w*\}", text)
                if sum(len(p.strip(" .,:;()#%/–-")) for p in parts) >= 4:  # some words around the values
                    patterns.append(re.compile(".*?".join(re.escape(p) for p in parts), re.IGNORECASE))
            elif text not in SAME_IN_EVERY_LANGUAGE:
                plain.add(text.strip().lower())
    return frozenset(plain), tuple(patterns)


def untranslated(texts: list[str]) -> list[str]:
    """The texts (one per DOM text node or attribute) that are a portal English text, or contain one
    with values filled in."""
    plain, patterns = english_patterns()
    found = []
    for raw in texts:
        text = " ".join(raw.split())
        if not text or not re.search(r"[A-Za-z]{2}", text):
            continue
        if text.lower().strip(" :·") in plain or any(p.search(text) for p in patterns):
            found.append(text)
    return found
