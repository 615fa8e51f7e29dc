"""Convert a positional MESSAGES dict {key: (ky, ru, en)} into the gettext catalogues, or merge it into them.

The catalogues remote_vote_app/i18n/locale/<lang>/LC_MESSAGES/messages.po are the source of every
user-facing text (msgid = the key, e.g. ``landing.title``; msgstr = the text). The old module
remote_vote_app/i18n/messages.py was converted with this script and then deleted. Branches started
before that still add keys to messages.py; before merging such a branch, run (from the repository root):

    .venv/bin/python scripts/messages_to_po.py BRANCH:remote_vote_app/i18n/messages.py \\
        --base "$(git merge-base HEAD BRANCH)":remote_vote_app/i18n/messages.py

then resolve the merge conflict on messages.py by deleting the file (``git rm remote_vote_app/i18n/messages.py``)
and commit the changed .po files with the merge. With ``--base`` (the version the branch started from)
the script applies exactly what the branch did: keys it added are added to every catalogue, texts it
changed are updated, unless this branch changed the same text too (then it is reported as a conflict
and the catalogue keeps its text); keys it deleted are reported (the unused-message test names them).
Keys deleted here (unused) and unchanged on the branch stay deleted; if the missing-message test
then names one (the branch started using it), add it back with ``--only KEY`` (same arguments).
Without ``--base`` only keys missing from the catalogues are added and differing texts are reported;
``--overwrite`` takes the dict's text for those. SOURCE is a file path or ``GIT_REF:path``; the
default is remote_vote_app/i18n/messages.py in the work tree. ``--dry-run`` prints and writes nothing.

A new language: ``--init uz`` writes locale/uz/LC_MESSAGES/messages.po with every msgid, empty
translations and the Russian text as a translator comment; the app lists the language as soon as the
file exists (an empty msgstr falls back to Russian, and the catalogue test reports it as missing).

The tuple order is ky, ru, en (``--order`` changes it). Texts are str.format templates (``{name}``).
"""

from __future__ import annotations

import argparse
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "remote_vote_app" / "i18n" / "locale"
DEFAULT_SOURCE = "remote_vote_app/i18n/messages.py"
REFERENCE_LANG = "ru"
HEADER = ("# User-facing text of remote_vote_app (msgid = the key used in the code, msgstr = the text;\n"
          "# str.format placeholders such as {name} must stay as they are).\n"
          "# Added keys: scripts/messages_to_po.py; every msgid must be used (tests/unit/test_seed_and_i18n.py).")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


def load_messages(source: str) -> dict[str, tuple[str, ...]]:
    """MESSAGES from a file, or from `REF:path` in git (the file is run as Python: it is a dict literal)."""
    path = Path(source) if Path(source).is_absolute() else ROOT / source
    if path.is_file():
        return runpy.run_path(str(path))["MESSAGES"]
    if ":" not in source:
        sys.exit(f"{source}: no such file (and not GIT_REF:path)")
    text = subprocess.run(["git", "-C", str(ROOT), "show", source], check=True, capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    try:
        return runpy.run_path(handle.name)["MESSAGES"]
    finally:
        Path(handle.name).unlink()


def new_catalog(lang: str) -> Catalog:
    return Catalog(locale=lang, project="remote_vote_app", version="1", charset="utf-8", fuzzy=False,
                   header_comment=HEADER, language_team=lang, last_translator="remote_vote_app",
                   msgid_bugs_address="issues")


def read_catalog(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return new_catalog(lang)
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, abort_invalid=True)


def save_catalog(lang: str, catalog: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        # width=0: one line per string, so a changed text is a one-line diff.
        write_po(handle, catalog, width=0, omit_header=False, sort_output=False, include_previous=False)


def text_of(catalog: Catalog, key: str) -> str | None:
    message = catalog.get(key)
    if message is None or isinstance(message.string, (tuple, list)):
        return None if message is None else "\x00plural"
    return message.string


def merge(source: dict, base: dict | None, order: list[str], overwrite: bool, dry_run: bool) -> int:
    catalogs = {lang: read_catalog(lang) for lang in order}
    added, updated, conflicts, reported = [], [], [], []
    for key, texts in source.items():
        if not isinstance(texts, (tuple, list)) or len(texts) != len(order):
            sys.exit(f"{key}: expected a tuple of {len(order)} texts ({', '.join(order)})")
        old = base.get(key) if base is not None else None
        for lang, text in zip(order, texts):
            current = text_of(catalogs[lang], key)
            if current is None and base is not None and old is not None:
                # At the base and gone from the catalogue: this side deleted it (e.g. as unused).
                if old[order.index(lang)] != text:
                    conflicts.append((lang, key, "(deleted here)", text))
                elif lang == order[0]:
                    print(f"skipped  {key}: deleted here, unchanged on the branch")
            elif current is None:
                catalogs[lang].add(key, text)
                added.append((lang, key))
            elif current == text:
                continue
            elif base is not None and old is not None and old[order.index(lang)] == text:
                continue  # the branch kept the old text; the catalogue's (newer) text stays
            elif base is not None and (old is None or old[order.index(lang)] != current):
                conflicts.append((lang, key, current, text))
            elif base is not None or overwrite:
                catalogs[lang][key].string = text
                updated.append((lang, key))
            else:
                reported.append((lang, key, current, text))
    removed = sorted(set(base) - set(source)) if base is not None else []
    for lang, key in added:
        print(f"added    {lang} {key}")
    for lang, key in updated:
        print(f"updated  {lang} {key}")
    for lang, key, current, text in conflicts:
        print(f"CONFLICT {lang} {key}: both changed it; kept the catalogue's\n    catalogue: {current!r}\n    branch:    {text!r}")
    for lang, key, current, text in reported:
        print(f"differs  {lang} {key} (kept the catalogue's; --overwrite takes the dict's)\n    catalogue: {current!r}\n    dict:      {text!r}")
    for key in removed:
        print(f"deleted on the branch: {key} (remove it from the .po files if nothing uses it)")
    if not dry_run:
        for lang in order:
            save_catalog(lang, catalogs[lang])
    print(f"{len(added)} added, {len(updated)} updated, {len(conflicts)} conflicts, {len(reported)} differing, "
          f"{len(removed)} deleted on the branch{' (dry run)' if dry_run else ''}")
    return 1 if conflicts else 0


def init_language(lang: str) -> int:
    if po_path(lang).exists():
        sys.exit(f"{po_path(lang)} exists")
    reference = read_catalog(REFERENCE_LANG)
    catalog = new_catalog(lang)
    for message in reference:
        if not message.id:
            continue
        plural = isinstance(message.id, (tuple, list))
        catalog.add(message.id, ("",) * catalog.num_plurals if plural else "",
                    auto_comments=[f"{REFERENCE_LANG}: {message.string if not plural else message.string[-1]}"])
    save_catalog(lang, catalog)
    print(f"wrote {po_path(lang)}: translate every msgstr (the Russian text is in the #. comment)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", default=DEFAULT_SOURCE, help="messages.py path or GIT_REF:path")
    parser.add_argument("--base", help="the version SOURCE's branch started from (path or GIT_REF:path)")
    parser.add_argument("--order", default="ky,ru,en", help="languages of the tuple positions")
    parser.add_argument("--overwrite", action="store_true", help="without --base: take the dict's text where it differs")
    parser.add_argument("--only", metavar="KEY,KEY", help="process only these keys (e.g. a key deleted here that the branch uses)")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--init", metavar="LANG", help="start a catalogue for a new language instead")
    args = parser.parse_args(argv)
    if args.init:
        return init_language(args.init)
    base = load_messages(args.base) if args.base else None
    source = load_messages(args.source)
    if args.only:
        wanted = set(args.only.split(","))
        source = {k: v for k, v in source.items() if k in wanted}
        base = {k: v for k, v in base.items() if k in wanted} if base is not None else None
        if args.base:  # a key named on purpose is wanted even where this side deleted it
            base = {k: v for k, v in base.items() if k not in wanted}
    return merge(source, base, args.order.split(","), args.overwrite, args.dry_run)


if __name__ == "__main__":
    raise SystemExit(main())
