"""The gettext catalogues: complete in every language, nothing missing, nothing unused, Babel formats."""

import ast
import datetime as dt
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from remote_vote_app.i18n import (DEFAULT_LANG, LANG_NAMES, LANGS, LOCALE_DIR, catalog, date_text, duration, localized,
                                  messages, moment_text, number, t, time_left, until_inclusive, day_options, iso_date_text)
from remote_vote_app.components import checkin_desk, precinct_map
from remote_vote_app.services.applications import activity, exclusions, reminders
from remote_vote_app.services.election_day import checkin, identification, turnout
from remote_vote_app.services.identity import faceid, staff
from remote_vote_app.services.reporting import staff_records
from remote_vote_app.services.reference.precincts import TEXT_FIELDS
from remote_vote_app.state.staff.session import STAFF_PAGES

SOURCES = Path(__file__).resolve().parents[2] / "remote_vote_app"
ALL = set(messages(DEFAULT_LANG))

# Message keys the code builds at run time (f-strings), each family with every value it can take.
# A new status, channel, role ... needs its entry here and its messages in every catalogue.
FAMILIES: dict[str, tuple[str, ...]] = {
    "status.": ("submitted", "withdrawn"),
    "channel.": ("online", "in_person"),
    "map.precision.": ("exact", "approximate"),
    "map.cluster_": precinct_map.CLUSTER_FORMS,
    "admin.precision.": ("exact", "approximate"),
    "ident.outcome.": (*turnout.REFUSALS, *turnout.INCIDENT_OUTCOMES, "not_me"),
    "election.name.": ("city_kenesh", "aiyl_kenesh", "president"),
    "sms.application_": ("submitted", "changed", "withdrawn"),
    "email.application_": tuple(f"{event}.{part}" for event in ("submitted", "changed", "withdrawn")
                                for part in ("subject", "body")),
    "exclusions.col.": exclusions.COLUMNS,
    "list.col.": (*staff_records.LIST_COLUMNS, staff_records.LIST_STATUS, staff_records.LIST_SIGNATURE),
    "face.": ("start", "preview", "no_camera", "checking"),
    "face.move_": faceid.MOVES,
    "staff.nav.": tuple(STAFF_PAGES),
    "staff.role.": staff.ROLES,
    "admin.": tuple(sorted({name.rsplit("_", 1)[0] for name in TEXT_FIELDS})),
    "search.sort.": ("created_desc", "created_asc", "reference", "precinct", "status"),
    "checkin.": checkin_desk.LABELS,  # the desk's texts, handed to the browser component as props
    "stats.flag.": checkin.FLAG_KINDS,
    "activity.action.": activity.ACTIONS,
    "activity.channel.": ("online", "commission", "system"),
    "activity.report.": ("open", "answered"),
    "reminders.kind.": reminders.KINDS,
    "reminders.status.": ("sent", "opted_out"),
    "audit.part.": staff_records.AUDIT_SUBJECTS,
    "audit.outcome.": staff_records.AUDIT_OUTCOMES,
    "audit.detail.": staff_records.AUDIT_DETAILS,
    "audit.actor.": staff_records.AUDIT_ACTORS,
    "ident.policy.": identification.OFFLINE_POLICIES,

}
# audit.action.<action>: the action is a string constant somewhere in the code (audit.record's argument).
AUDIT_PREFIX = "audit.action."
# Keys read from the catalogue by code outside Python string literals (none today).
EXTRA_USED: set[str] = set()


def _code_strings() -> tuple[set[str], set[str]]:
    """Every string constant in the app's Python code, and those in positions that must be message keys:
    tr["…"], t(lang, "…"), has("…"), ServiceError("…") / FieldError("…"), *_key = "…", {"key": "…"}."""
    constants, keys = set(), set()
    for path in SOURCES.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
                if re.fullmatch(r"error\.[a-z0-9_.]*[a-z0-9_]", node.value):
                    keys.add(node.value)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                base = node.value
                if (isinstance(base, ast.Attribute) and base.attr == "tr") or (isinstance(base, ast.Name) and base.id == "tr"):
                    keys.add(node.slice.value)
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                args = node.args[1:2] if name == "t" else node.args[:1] if name in {"has", "ServiceError", "FieldError"} else []
                keys.update(a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str))
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets:
                    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                    if name.endswith("_key") and node.value.value:
                        keys.add(node.value.value)
            if isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values):
                    if isinstance(k, ast.Constant) and k.value == "key" and isinstance(v, ast.Constant) and isinstance(v.value, str):
                        keys.add(v.value)
    return constants, keys


CONSTANTS, KEYS_IN_CODE = _code_strings()
FAMILY_KEYS = {prefix + value for prefix, values in FAMILIES.items() for value in values}


def test_the_languages_are_the_catalogues_present_ky_ru_en_first():
    assert LANGS[:3] == ("ky", "ru", "en")
    assert set(LANGS) == {p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / "messages.po").exists()}
    assert LANG_NAMES == {"ky": "Кыргызча", "ru": "Русский", "en": "English", **{k: v for k, v in LANG_NAMES.items() if k not in ("ky", "ru", "en")}}




def test_every_key_the_code_uses_is_in_every_catalogue():
    used = KEYS_IN_CODE | FAMILY_KEYS | EXTRA_USED
    for lang in LANGS:
        missing = sorted(used - set(messages(lang)))
        assert not missing, f"{lang}: missing messages {missing} (add them to locale/{lang}/LC_MESSAGES/messages.po)"


def test_every_catalogue_message_is_used():
    def used(key: str) -> bool:
        if key in CONSTANTS or key in FAMILY_KEYS or key in EXTRA_USED:
            return True
        return key.startswith(AUDIT_PREFIX) and key[len(AUDIT_PREFIX):] in CONSTANTS

    for lang in LANGS:
        unused = sorted(key for key in messages(lang) if not used(key))
        assert not unused, f"{lang}: messages nothing uses {unused} (delete them, or list their family in FAMILIES)"


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_parses_and_matches_russian_placeholders(lang):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        po = read_po(handle, locale=lang, abort_invalid=True)
    assert po.locale_identifier == lang

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    reference = messages(DEFAULT_LANG)
    for key, text in messages(lang).items():
        forms = text if isinstance(text, tuple) else (text,)
        ref = reference[key] if isinstance(reference[key], tuple) else (reference[key],)
        assert all(form.strip() for form in forms), f"{lang} {key}: empty"
        assert all(fields(form) == fields(ref[-1]) for form in forms), f"{lang} {key}: placeholders differ from ru"
    assert set(messages(lang)) == ALL, f"{lang}: keys differ from ru: {sorted(set(messages(lang)) ^ ALL)}"


def test_translation_helpers():
    assert t("xx", "nav.home") == "Главная"  # unknown language falls back to Russian
    assert catalog("ky")["nav.home"] == "Башкы бет"
    assert t("ru", "no.such.key") == "no.such.key"


def test_plurals_follow_cldr_rules():
    assert [t("ru", "error.code_wrong", count=n) for n in (1, 3, 5, 21)] == [
        "Неверный код. Осталась 1 попытка.", "Неверный код. Осталось 3 попытки.",
        "Неверный код. Осталось 5 попыток.", "Неверный код. Осталась 21 попытка."]
    assert t("en", "error.code_wrong", count=1) == "Wrong code. 1 attempt left."
    assert t("en", "error.code_wrong", count=2) == "Wrong code. 2 attempts left."
    assert t("ky", "error.code_wrong", count=2) == "Код туура эмес. Дагы 2 аракет калды."


def test_durations_dates_and_numbers_come_from_babel():
    assert time_left("ru", 2 * 86400 + 5 * 3600) == "2 дня 5 часов"
    assert time_left("ru", 21 * 86400) == "21 день"
    assert time_left("en", 3600 + 60) == "1 hour 1 minute"
    assert time_left("ky", 5 * 86400) == "5 күн"
    assert time_left("ru", 30) == "меньше минуты"
    assert duration("ru", 300) == "5 минут" and duration("ky", 120) == "2 мүнөт" and duration("en", 60) == "1 minute"
    assert date_text("ru", dt.date(2026, 12, 9)) == "09.12.2026" == date_text("ky", dt.date(2026, 12, 9))
    assert date_text("en", dt.date(2026, 12, 9)) == "9 December 2026"
    assert number("ru", 3.46) == "3,5" and number("ky", 3.46) == "3,5" and number("en", 3.46) == "3.5"
    # Election-day selects and per-day tables: never the ISO form.
    assert day_options("ky", ["2027-01-06"]) == [{"value": "2027-01-06", "label": "06.01.2027"}]
    assert day_options("en", ["2027-01-06"])[0]["label"] == "6 January 2027" == iso_date_text("en", "2027-01-06")
    assert number("ru", 1234.0, 0) == "1\xa0234"


def test_a_deadline_reads_until_that_day_inclusive_in_each_language():
    day = dt.date(2026, 12, 21)
    assert until_inclusive("ky", day) == "2026-жылдын 21-декабрына чейин (ушул күндү кошо)"
    assert until_inclusive("ru", day) == "по 21 декабря 2026 г. включительно"
    assert until_inclusive("en", day) == "up to and including 21 December 2026"
    # Kyrgyz: the month in the possessive dative, front or back vowel as the month asks.
    assert until_inclusive("ky", dt.date(2027, 4, 1)) == "2027-жылдын 1-апрелине чейин (ушул күндү кошо)"
    assert until_inclusive("ky", dt.date(2027, 8, 5)).startswith("2027-жылдын 5-августуна чейин")
    assert len(messages("ky")["format.months_until"].split()) == 12


# Every text that states the application deadline, with what else it needs.
DEADLINE_MESSAGES = {"landing.deadline": {}, "landing.deadline_closed": {}, "election.option": {"name": "N", "day": "D"},
                     "exclusions.preliminary": {}, "pubstats.preliminary": {"time": "T"},
                     "reminder.deadline.sms": {"opt_out": "L"}, "apply.closed_lead": {}}


@pytest.mark.parametrize("lang", ("ky", "ru", "en"))
def test_every_deadline_text_says_the_last_day_inclusive_the_one_way(lang):
    until = until_inclusive(lang, dt.date(2026, 12, 21))
    for key, params in DEADLINE_MESSAGES.items():
        assert until in t(lang, key, until=until, **params), f"{lang} {key} states the deadline its own way"


def test_kyrgyz_attaches_no_year_suffix_and_no_bare_чейин_to_a_date():
    # «21.12.2026-жылга чейин» reads "until the year"; «{deadline} чейин» has no case ending (only
    # format.months_until's forms carry it into deadline.until_inclusive).
    bad = re.compile(r"(\d|\})-жыл(га|ка) чейин|\{(?!month\})\w+\}\s*чейин|\d\s+чейин")
    faults = [key for key, text in messages("ky").items() for form in (text if isinstance(text, tuple) else (text,))
              if bad.search(form)]
    assert not faults, f"ky: a date without its case ending before «чейин» in {faults}"


class _Row:
    name_ru, name_ky, name_en = "Ош", "Ош ш.", ""
    number = "ДГ-05"


def test_localized_is_the_one_reader_of_per_language_columns():
    assert localized(_Row, "name", "ky") == "Ош ш."
    assert localized(_Row, "name", "en") == "Ош"  # no English yet: Russian, never empty
    assert localized(_Row, "name", "xx") == "Ош"
    assert localized(_Row, "number", "ru") == "ДГ-05" == localized(_Row, "number", "ky")
    assert localized(_Row, "number", "en") == "DG-05"


def test_no_per_language_column_is_read_outside_the_helper():
    # An instance's column (lower-case name before the dot: `territory.name_ru`), a dict key ("place_ru"] or
    # getattr(x, f"name_{lang}"); SQL column expressions (`Territory.name_ru`) are not reads.
    pattern = re.compile(r"""getattr\([^)]*f["']\{?\w*\}?_\{lang\}|\b[a-z_][a-z0-9_]*\.(name|city|district|place|address)_(ru|ky|en)\b"""
                         r"""|\[["'](name|city|district|place|address)_(ru|ky|en)["']\]""")
    allowed = {"models.py", "reference.py", "seed.py"}  # where the columns are defined and written
    offenders = []
    for path in SOURCES.rglob("*.py"):
        if path.name in allowed or path.parent.name == "i18n":
            continue
        for number_, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(SOURCES)}:{number_}: {line.strip()}")
    assert not offenders, "read per-language columns with i18n.localized:\n" + "\n".join(offenders)


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_no_english_text_is_left_in_the_kyrgyz_and_russian_catalogues(lang):
    english, own = messages("en"), messages(lang)
    words = re.compile(r"[A-Za-z]{4,}")
    copied = [key for key, text in own.items()
              if text == english.get(key) and words.search(re.sub(r"\{\w+\}", "", str(text)))
              and not key.startswith("format.")]
    assert not copied, f"{lang}: English left untranslated in {copied}"


def test_the_kyrgyz_precinct_label_gives_the_abbreviation_heard_at_the_commission():
    assert "УИК ДГ" in t("ky", "apply.precinct") and "УИК ДГ" in t("ru", "apply.precinct")


def test_a_moment_reads_with_the_languages_own_date_form():
    """One date form per language (review of December 2026, row 18): English never mixes «7 December
    2026» with «07.12.2026»; Kyrgyz and Russian keep the commission's numeric form."""
    from remote_vote_app.services.reporting import statistics

    moment = dt.datetime(2026, 12, 7, 18, 30, 5)
    assert moment_text("ru", moment) == moment_text("ky", moment) == "07.12.2026 18:30"
    assert moment_text("en", moment, seconds=True) == "7 December 2026 18:30:05"
    assert statistics.local_time_text("2026-12-07T12:30:05+00:00", "en") == "7 December 2026 18:30:05"  # Bishkek, UTC+6
    assert statistics.local_time_text("2026-12-07T12:30:05+00:00", "ru") == "07.12.2026 18:30:05"
