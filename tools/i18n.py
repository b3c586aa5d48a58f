"""The portal's gettext catalogues (dealer_portal/locale), kept in step with the code.

    python -m tools.i18n extract   # the texts marked in code and templates -> locale/messages.pot
    python -m tools.i18n update    # extract, then merge the .pot into every language's messages.po
    python -m tools.i18n check     # lists texts not translated (or fuzzy, or missing from the .po,
                                   # or with other {placeholders}); exit status 1 when there are any
    python -m tools.i18n init ja   # start a catalogue for another language

Adding a text: mark it (`N_("...")` in Python, `{{ _("...") }}` in a template), run `update`, write the
msgstr in dealer_portal/locale/zh_CN/LC_MESSAGES/messages.po (drop a `#, fuzzy` line once checked), run
`check`. The portal reads the .po files at start-up; no compiled .mo is kept.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from dealer_portal import i18n

REPO = Path(__file__).resolve().parents[1]
MAPPING = REPO / "dealer_portal" / "babel.cfg"
POT = i18n.LOCALE_DIR / "messages.pot"
KEYWORDS = ["N_", "_", "gettext", "ngettext:1,2"]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(out: Path = POT) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    _babel(
        "extract",
        "-F",
        str(MAPPING),
        *keywords,
        "--no-location",
        "--sort-output",
        "--project",
        "dms dealer portal",
        "--msgid-bugs-address",
        "dms@localhost",
        "-o",
        str(out),
        str(REPO / "dealer_portal"),
    )
    return out


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in i18n.LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))


def update() -> None:
    extract()
    for language in languages():
        _babel("update", "-i", str(POT), "-d", str(i18n.LOCALE_DIR), "-l", language, "--ignore-obsolete")


def init(language: str) -> None:
    extract()
    _babel("init", "-i", str(POT), "-d", str(i18n.LOCALE_DIR), "-l", language)


def problems() -> list[str]:
    """Every text of the code that some language does not translate, or translates with other
    placeholders; and .po files behind the code."""
    with tempfile.TemporaryDirectory() as tmp:
        with extract(Path(tmp) / "messages.pot").open("rb") as f:
            template = read_po(f)
    wanted = {m.id for m in template if m.id}
    found: list[str] = []
    for language in languages():
        catalog = i18n.read_catalog(language)
        for msg in template:
            if not msg.id:
                continue
            have = catalog.get(msg.id)
            key = msg.id if isinstance(msg.id, str) else msg.id[0]
            if have is None:
                found.append(f"{language}: missing (run `python -m tools.i18n update`): {key!r}")
                continue
            strings = have.string if isinstance(have.string, tuple) else (have.string,)
            if not all(strings):
                found.append(f"{language}: untranslated: {key!r}")
            elif have.fuzzy:
                found.append(f"{language}: fuzzy (check it, then remove the fuzzy flag): {key!r}")
            elif any(sorted(PLACEHOLDER.findall(s)) != sorted(PLACEHOLDER.findall(key)) for s in strings):
                found.append(f"{language}: placeholders differ from the English: {key!r}")
        stale = [m.id for m in catalog if m.id and m.id not in wanted and not m.obsolete]
        found += [f"{language}: no longer in the code (run update): {s!r}" for s in stale]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="write dealer_portal/locale/messages.pot")
    sub.add_parser("update", help="extract, then merge into every messages.po")
    sub.add_parser("check", help="list untranslated texts; exit 1 when there are any")
    new = sub.add_parser("init", help="start the catalogue of another language")
    new.add_argument("language", help="gettext locale id, e.g. ja or zh_TW")
    args = parser.parse_args(argv)
    if args.command == "extract":
        print(extract())
    elif args.command == "update":
        update()
        print(f"updated {', '.join(languages())} from {POT}")
    elif args.command == "init":
        init(args.language)
    else:
        found = problems()
        for line in found:
            print(line)
        total = sum(1 for _ in _template_ids())
        print(f"{len(found)} problem(s); {total} texts, languages: {', '.join(languages())}")
        return 1 if found else 0
    return 0


def _template_ids():
    with POT.open("rb") as f:
        return [m.id for m in read_po(f) if m.id]


if __name__ == "__main__":
    sys.exit(main())
