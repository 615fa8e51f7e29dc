"""The browser's catalogues: the default language in every page's first load, each other language a
module of its own that the page fetches when a tab needs it (issue 22: 65 KB of every first load
were the three languages together)."""

import json
import re

from remote_vote_app.components import catalog as module
from remote_vote_app.i18n import DEFAULT_LANG, LANGS, catalog


def _object_after(text: str, marker: str) -> dict:
    start = text.index(marker) + len(marker)
    return json.JSONDecoder().raw_decode(text[start:].lstrip())[0]


def test_the_first_load_carries_the_default_language_only(tmp_path, monkeypatch):
    # Written into a directory of this test's own: make test's e2e servers, started beside the unit
    # pass with other settings (a code's lifetime is in the texts), rewrite the shared files.
    monkeypatch.setattr(module, "_DIR", tmp_path)
    module._write_modules()
    store = (tmp_path / module._MODULE).read_text(encoding="utf-8")
    inline = _object_after(store, "export const RV_CATALOG =")
    assert inline == {DEFAULT_LANG: catalog(DEFAULT_LANG)}
    for lang in LANGS:
        if lang != DEFAULT_LANG:
            # Its own module, reached by a dynamic import (a chunk of its own for Vite), never a static one.
            assert f'import("./i18n_catalog_{lang}.js")' in store
            assert not re.search(rf'^import .*i18n_catalog_{lang}', store, re.M)
            own = (tmp_path / f"i18n_catalog_{lang}.js").read_text(encoding="utf-8")
            assert _object_after(own, "export default") == catalog(lang)


def test_text_renders_again_when_a_language_arrives():
    """`tr` reads the tab's language through rvCatalog and subscribes the component to the store, so
    text first shown in the default language is redrawn in the tab's own once its module is loaded."""
    text = module.tr["nav.skip"]
    data = text._get_all_var_data()
    assert "rv_catalog_version" in str(text) and "rvCatalog(" in str(text)
    assert "const rv_catalog_version = useRvCatalogVersion()" in data.hooks
    tags = {var.tag for imports in dict(data.imports).values() for var in imports}
    assert {"rvCatalog", "useRvCatalogVersion"} <= tags
