"""User-facing text in Kyrgyz, Russian (default) and English."""

from __future__ import annotations

from functools import lru_cache

from remote_vote_app.i18n.messages import MESSAGES

LANGS = ("ky", "ru", "en")
DEFAULT_LANG = "ru"
LANG_NAMES = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
HTML_LANG = {"ky": "ky", "ru": "ru", "en": "en"}


def normalize_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(lang: str, key: str, **params: object) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry[LANGS.index(normalize_lang(lang))]
    return text.format(**params) if params else text


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """Every message in one language, for the UI."""
    index = LANGS.index(normalize_lang(lang))
    return {key: entry[index] for key, entry in MESSAGES.items()}


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def duration(lang: str, seconds: int) -> str:
    """'12 days 3 hours' style time left, in the user's language."""
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts: list[str] = []
    for value, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if value and len(parts) < 2:
            if lang == "ru":
                forms = {"day": ("день", "дня", "дней"), "hour": ("час", "часа", "часов"),
                         "minute": ("минута", "минуты", "минут")}[unit]
                parts.append(f"{value} {plural_ru(value, *forms)}")
            elif lang == "ky":
                parts.append(f"{value} {dict(day='күн', hour='саат', minute='мүнөт')[unit]}")
            else:
                parts.append(f"{value} {unit}{'' if value == 1 else 's'}")
    return " ".join(parts) or t(lang, "time.less_than_minute")
