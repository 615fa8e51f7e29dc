"""User-facing text: gettext catalogues per language, read with Babel at startup.

Every language is one file, locale/<lang>/LC_MESSAGES/messages.po (msgid = the key used in the code,
e.g. ``landing.title``; msgstr = a str.format template). The languages are the catalogues present:
Kyrgyz, Russian and English first, any other (e.g. Uzbek) after them, with no code change. A message
missing in a language falls back to Russian. Plurals are gettext plural entries (msgid_plural, one
msgstr per form, chosen by the catalogue's Plural-Forms for the ``count`` parameter). Durations, dates
and numbers come from Babel's CLDR data (Kyrgyz included). Per-language columns of the database
(``name_ru`` / ``name_ky`` / ``name_en`` ...) are read through `localized` only.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

LOCALE_DIR = Path(__file__).with_name("locale")
FIRST = ("ky", "ru", "en")  # state language, official language, then English; others alphabetically
DEFAULT_LANG = "ru"


def _languages() -> tuple[str, ...]:
    present = {p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po")}
    return tuple(code for code in FIRST if code in present) + tuple(sorted(present - set(FIRST)))


LANGS: tuple[str, ...] = _languages()
# Each language named in itself, as a language menu should ("Кыргызча", "Русский", "English", "Oʻzbekcha").
LANG_NAMES = {code: (lambda n: n[:1].upper() + n[1:])(Locale.parse(code).get_display_name(code)) for code in LANGS}
HTML_LANG = {code: code for code in LANGS}


class _Catalogue:
    def __init__(self, lang: str) -> None:
        with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            po = read_po(handle, locale=lang, abort_invalid=True)
        self.plural = gettext.c2py(po.plural_expr)
        self.texts: dict[str, str] = {}
        self.plurals: dict[str, tuple[str, ...]] = {}
        for message in po:
            if not message.id:
                continue
            if isinstance(message.id, (tuple, list)):
                if all(message.string):
                    self.plurals[message.id[0]] = tuple(message.string)
            elif message.string:
                self.texts[message.id] = message.string


@lru_cache(maxsize=None)
def _catalogue(lang: str) -> _Catalogue:
    return _Catalogue(lang)


def normalize_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def _template(lang: str, key: str, count: Any = None) -> str | None:
    for code in (normalize_lang(lang), DEFAULT_LANG):
        cat = _catalogue(code)
        if key in cat.plurals:
            forms = cat.plurals[key]
            n = int(count) if count is not None and str(count).lstrip("-").isdigit() else 2
            return forms[min(cat.plural(abs(n)), len(forms) - 1)]
        if key in cat.texts:
            return cat.texts[key]
    return None


def _settings_params(lang: str) -> dict[str, str]:
    """Placeholders any message may use, filled from the configuration: the lifetimes of codes are
    configurable (CODE_TTL_SECONDS, QR_TTL_SECONDS), so texts never hard-code "5 minutes"."""
    from remote_vote_app.settings import settings

    return {"code_lifetime": duration(lang, settings.code_ttl_seconds, granularity="second"),
            "qr_lifetime": duration(lang, settings.qr_ttl_seconds, granularity="second")}


SETTINGS_PARAMS = ("code_lifetime", "qr_lifetime")


def _fill(lang: str, text: str, params: dict[str, object]) -> str:
    if "{" not in text:
        return text
    if any("{" + name + "}" in text for name in SETTINGS_PARAMS):
        params = {**_settings_params(lang), **params}
    return text.format(**params) if params else text


def t(lang: str, key: str, **params: object) -> str:
    """The message `key` in `lang` with its {placeholders} filled; a plural message picks its form by `count`."""
    text = _template(lang, key, params.get("count"))
    if text is None:
        return key
    return _fill(normalize_lang(lang), text, params)


def has(key: str) -> bool:
    """Whether `key` is a message (in the default language, which every message has)."""
    return _template(DEFAULT_LANG, key) is not None


def catalog(lang: str) -> dict[str, str]:
    """Every message in one language, for the UI (plural messages in their general form)."""
    lang = normalize_lang(lang)
    return _catalog(lang, tuple(_settings_params(lang).items()))


@lru_cache(maxsize=8)
def _catalog(lang: str, settings_items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    keys = list(_catalogue(DEFAULT_LANG).texts) + list(_catalogue(DEFAULT_LANG).plurals)
    texts = {key: _template(lang, key) or key for key in keys}
    settings_params = dict(settings_items)
    # Messages whose only placeholders come from the configuration are shown filled in.
    return {key: text.format_map(_KeepOthers(settings_params)) if any("{" + n + "}" in text for n in SETTINGS_PARAMS)
            else text for key, text in texts.items()}


class _KeepOthers(dict):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def messages(lang: str) -> dict[str, str | tuple[str, ...]]:
    """The catalogue of one language as it is in its file (no fallback): for tests and tools."""
    cat = _catalogue(lang)
    return {**cat.texts, **cat.plurals}


# --- Babel formatting (CLDR data) ---


def babel_locale(lang: str) -> str:
    return normalize_lang(lang)


def duration(lang: str, seconds: float, *, granularity: str = "minute", format: str = "long") -> str:
    """A span of time in words, rounded to its largest unit ("12 дней", "5 мүнөт", "2 minutes")."""
    seconds = max(0, seconds)
    if seconds < 60 and granularity != "second":
        return t(lang, "time.less_than_minute")
    return format_timedelta(dt.timedelta(seconds=seconds), granularity=granularity, threshold=1,
                            format=format, locale=babel_locale(lang))


def time_left(lang: str, seconds: float) -> str:
    """Time left to a deadline: two units while they mean something ("2 дня 5 часов"), else one."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return t(lang, "time.less_than_minute")
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        value, seconds = divmod(seconds, size)
        if value and len(parts) < 2:
            # CLDR unit patterns with the language's plural rules ("21 день", "2 дня", "5 саат");
            # format_timedelta would round 21 days to "3 недели".
            parts.append(format_unit(value, f"duration-{unit}", length="long", locale=babel_locale(lang)))
        elif parts:
            break  # "2 days 5 minutes" would hide the hours: stop at the first gap
    return " ".join(parts)


def date_text(lang: str, day: dt.date | dt.datetime) -> str:
    """A date with the language's CLDR pattern from its catalogue (msgid format.date): "09.12.2026" in
    Kyrgyz and Russian (the commission's form, which Kyrgyz suffixes such as -жылга attach to),
    "9 December 2026" in English (numeric dates read differently in the US and the UK)."""
    return format_date(day, format=t(lang, "format.date"), locale=babel_locale(lang))


def moment_text(lang: str, local: dt.datetime, seconds: bool = False) -> str:
    """A local moment as the language writes a date (date_text), then the 24-hour time: "07.12.2026
    18:30" in Kyrgyz and Russian, "7 December 2026 18:30" in English (no mix of the two forms)."""
    return f"{date_text(lang, local)} {local.strftime('%H:%M:%S' if seconds else '%H:%M')}"


def iso_date_text(lang: str, iso: str | None) -> str:
    """An ISO date ("2026-12-21", as selects and documents carry it) in the language's format."""
    return date_text(lang, dt.date.fromisoformat(iso[:10])) if iso else ""


def day_options(lang: str, days: list[str]) -> list[dict[str, str]]:
    """A date select's options: the ISO date as the value, the language's date as the label."""
    return [{"value": d, "label": iso_date_text(lang, d)} for d in days]


def until_inclusive(lang: str, day: dt.date) -> str:
    """ "Until `day`, that day included", the one way every deadline is written (msgid
    deadline.until_inclusive): "по 21 декабря 2026 г. включительно", "up to and including 21 December
    2026", "2026-жылдын 21-декабрына чейин (ушул күндү кошо)". The month's form depends on the phrase
    (Russian genitive, Kyrgyz possessive dative, which CLDR has no pattern for): each catalogue
    gives its twelve (format.months_until)."""
    months = t(lang, "format.months_until").split()
    return t(lang, "deadline.until_inclusive", day=day.day, month=months[day.month - 1], year=day.year)


def datetime_text(lang: str, moment: dt.datetime, format: str = "medium", tz: Any = None) -> str:
    return format_datetime(moment, format=format, tzinfo=tz, locale=babel_locale(lang))


def number(lang: str, value: float, digits: int = 1) -> str:
    """A number with the language's decimal separator ("3,5" in ky and ru, "3.5" in en)."""
    return format_decimal(round(value, digits), format=f"#,##0.{'#' * digits}" if digits else "#,##0",
                          locale=babel_locale(lang))


_CYRILLIC_TO_LATIN = str.maketrans({
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "Yo", "Ж": "Zh", "З": "Z", "И": "I", "Й": "Y",
    "К": "K", "Л": "L", "М": "M", "Н": "N", "Ң": "Ng", "О": "O", "Ө": "O", "П": "P", "Р": "R", "С": "S", "Т": "T",
    "У": "U", "Ү": "U", "Ф": "F", "Х": "Kh", "Ц": "Ts", "Ч": "Ch", "Ш": "Sh", "Щ": "Shch", "Ъ": "", "Ы": "Y",
    "Ь": "", "Э": "E", "Ю": "Yu", "Я": "Ya",
})
_HOME_NUMBER = re.compile(r"^УИК №(\d+)$")


@lru_cache(maxsize=None)
def latin_script(lang: str) -> bool:
    """Whether the language writes in Latin letters (from its own name in CLDR: "English", "Oʻzbek")."""
    name = LANG_NAMES.get(normalize_lang(lang), "")
    return bool(name) and unicodedata.name(name[0], "").startswith("LATIN")


def precinct_code(number: str, lang: str) -> str:
    """A precinct's code as its readers write it: a home precinct "УИК №1004" is "№1004 УШК" in
    Kyrgyz; codes of remote precincts ("ДГ-05") are transliterated for Latin-script languages ("DG-05")."""
    home = _HOME_NUMBER.match(number or "")
    if home:
        return t(lang, "precinct.home_number", number=home.group(1))
    return (number or "").upper().translate(_CYRILLIC_TO_LATIN) if latin_script(lang) else (number or "")


def localized(obj: Any, field: str, lang: str) -> str:
    """A per-language database column (`field`_<lang>, e.g. name_ky) in `lang`: the one place the
    app reads them. Falls back to Russian (every row has it), then to the first language that has
    a value, so a fourth language with no data yet shows Russian rather than an empty line. The
    field "number" (one column) is a precinct code, written as `precinct_code` says. `obj` may be a
    row, any object with such attributes, or a dict with such keys."""
    lang = normalize_lang(lang)
    get = obj.get if isinstance(obj, dict) else lambda name, default=None: getattr(obj, name, default)
    if field == "number":
        return precinct_code(str(get("number", "") or ""), lang)
    value = get(f"{field}_{lang}", None) or get(f"{field}_{DEFAULT_LANG}", None)
    if not value:
        value = next((get(f"{field}_{code}") for code in LANGS if get(f"{field}_{code}", None)), "")
    return value or ""
