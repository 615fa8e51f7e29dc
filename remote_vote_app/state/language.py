"""The page's language: <html lang>, the tab title and the script a ready page runs."""

from __future__ import annotations

import json

import reflex as rx

from remote_vote_app.i18n import HTML_LANG, normalize_lang, t
from remote_vote_app.state.navigation import FOCUS_TITLE_JS, PAGE_TITLES


class LanguageMixin:
    """Mixed into AppState (plain class, underscore methods only: Reflex makes no events of them)."""

    def _lang(self) -> str:
        return normalize_lang(self.lang)

    def _title(self) -> str:
        """The tab title in the page's language: the page's own name, then the service's."""
        lang = self._lang()
        path = (self.router.route_id or "/").split("?")[0].rstrip("/") or "/"
        key = self._title_key or PAGE_TITLES.get(path, "")
        site = t(lang, "site.title")
        return f"{t(lang, key)} · {site}" if key else site

    def _lang_and_title_js(self) -> str:
        return (f"document.documentElement.lang = {json.dumps(HTML_LANG[self._lang()])};"
                f"document.title = {json.dumps(self._title())};")

    def _html_lang_script(self):
        """Keeps <html lang> and the tab title in step with the chosen language (screen readers use both)."""
        return rx.call_script(self._lang_and_title_js())

    def _page_script(self):
        """<html lang> and the title; on a step reached inside the service (a client-side navigation, or
        a page the service sent the browser to, as after a login) focus moves to the step's h1 or
        success panel. A page opened from outside keeps the browser's start: the skip link first. The
        idle timeout (warning, then reload) is the IdleWarning component in the page shell."""
        return rx.call_script(
            self._lang_and_title_js() +
            "if (window.__rvSeen || (document.referrer.startsWith(window.location.origin + '/')"
            " && document.referrer !== window.location.href)) {" + FOCUS_TITLE_JS + "}"
            " window.__rvSeen = true;"
        )

    def _ready(self):
        """What an on_load handler returns when its page is ready: the page script, in the same
        update as the page's data (not as one more event the server processes)."""
        self._title_key = ""
        return self._page_script()
