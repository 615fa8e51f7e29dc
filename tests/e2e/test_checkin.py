"""Election-day check-in at a remote precinct: the voter's signed pass, the commission's desk by typed
reference and document number, by camera (Chromium's fake camera showing the pass's QR code), offline,
with two tabs of one device, with a failing sync, and what the desk leaves in the browser."""

import re
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, check_a11y, log_in, staff_log_in
from tests.e2e.fixtures import CHECKIN_VOTERS, DESK_VOTERS
from tests.support import qr
from tests.support.qr import assert_inline_svg

# A dropped connection makes the browser report the Reflex socket's failed reconnects; expected here.
_CONNECTION_NOISE = re.compile(r"websocket|socket|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION|Failed to load resource|net::", re.I)


@pytest.fixture
def viewport():
    return DESKTOP


def _apply_and_read_pass(browser, console, base_url: str, voter, check: bool = False) -> tuple[str, str, bytes]:
    """The voter applies for ДГ-05 in a browser of their own; the confirmation shows the pass.
    Returns the reference, the pass token and a screenshot of the QR code the browser drew."""
    pin, doc, _phone, _last, _first = voter
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    page = console.watch(context.new_page())
    log_in(page, base_url, pin, doc)
    page.get_by_role("button", name="Подать заявление").click()
    page.get_by_label("ДГ-05 — Средняя школа им. А. Навои").check()
    page.get_by_label("Электронная почта").fill(f"checkin{pin[-2:]}@example.kg")
    page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    page.get_by_role("button", name="Далее").click()
    page.get_by_role("button", name="Подтвердить").click()
    expect(page).to_have_url(re.compile(r"/confirmation/?$"))
    reference = page.locator("#reference").inner_text().strip()
    voter_pass = page.get_by_role("region", name="Пропуск избирателя")
    expect(voter_pass).to_be_visible()
    image = voter_pass.get_by_role("img", name=f"QR-код пропуска избирателя по заявлению {reference}")
    expect(image).to_be_visible()
    assert_inline_svg(image.get_attribute("src"))
    # Scrolled in and painted first: Chromium 150 captured only the part that had been in the viewport.
    image.scroll_into_view_if_needed()
    image.evaluate("img => img.decode().then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))")
    picture = image.screenshot()
    expect(voter_pass.locator("#voter-pass-reference")).to_have_text(reference)
    expect(voter_pass.get_by_role("link", name="Сохранить пропуск (картинка)")).to_have_attribute(
        "download", f"voter-pass-{reference}.svg")
    token = voter_pass.get_attribute("data-pass")
    assert token.count(".") == 2
    if check:
        check_a11y(page)
        # Printed: the pass without the page's buttons.
        page.emulate_media(media="print")
        expect(voter_pass.get_by_role("button", name="Распечатать пропуск")).to_be_hidden()
        expect(image).to_be_visible()
        page.emulate_media(media="screen")
        # The cabinet shows the same pass.
        page.get_by_role("link", name="Перейти в кабинет").click()
        card = page.get_by_role("article", name=reference)
        expect(card.get_by_role("img", name=f"QR-код пропуска избирателя по заявлению {reference}")).to_be_visible()
    context.close()
    return reference, token, picture


def _open_desk(page: Page, base_url: str) -> None:
    """A precinct member logs in and lands on the desk."""
    staff_log_in(page, base_url, "uik.dg05")
    expect(page).to_have_url(re.compile(r"/staff/checkin/?$"))
    expect(page.get_by_role("heading", level=1, name="Выдача бюллетеней в день выборов")).to_be_visible()
    expect(page.locator("#roster-status")).to_contain_text("Список ДГ-05")
    expect(page.locator("#connection-state")).to_have_text("Связь есть")


def test_check_in_by_typed_reference_and_a_second_check_in_is_refused(page: Page, base_url: str, browser, console):
    voter = CHECKIN_VOTERS[0]
    reference, _token, _picture = _apply_and_read_pass(browser, console, base_url, voter, check=True)
    _open_desk(page, base_url)
    check_a11y(page)

    query = page.get_by_label("Номер заявления или документа")
    query.fill(reference.replace("-", "").lower())
    page.get_by_role("button", name="Найти").click()
    card = page.get_by_role("region", name=f"{voter[3]} {voter[4]}")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Найден в списке (без пропуска)")
    expect(card).to_contain_text(voter[1])  # the document number, to compare with the ID card
    expect(card).to_contain_text("06.06.1994")  # the birth date, never beside a masked PIN
    expect(card).not_to_contain_text("ПИН")
    expect(card).not_to_contain_text("*")  # no masked PIN either
    check_a11y(page)
    card.get_by_role("button", name="Выдать бюллетень").click()
    expect(page.locator("#checkin-result")).to_contain_text(f"Бюллетень выдан: {reference}. Сервер принял отметку.")
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0")

    # The same voter again, by document number this time: refused, and the dashboard counts the attempt.
    query.fill(voter[1].lower())
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("#checkin-refused")).to_contain_text("бюллетень уже выдан")
    expect(page.get_by_role("button", name="Выдать бюллетень")).to_have_count(0)
    check_a11y(page)
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0")  # the attempt went too

    page.get_by_role("navigation", name="Меню сотрудника").get_by_role("link", name="Статистика").click()
    row = page.locator("#per-precinct tbody tr").filter(has_text="ДГ-05")
    expect(row.locator("td").nth(2)).not_to_have_text("0")
    expect(page.locator("#flag-repeat")).not_to_have_text("0")


def test_a_precinct_member_lands_on_the_desk_named_for_issuing_ballots(page: Page, base_url: str):
    staff_log_in(page, base_url, "uik.dg05")
    expect(page).to_have_url(re.compile(r"/staff/checkin/?$"))
    expect(page).to_have_title("Выдача бюллетеней в день выборов · Дистанционное голосование")
    expect(page.get_by_role("heading", level=1)).to_have_text("Выдача бюллетеней в день выборов")
    menu = page.get_by_role("navigation", name="Меню сотрудника")
    expect(menu.get_by_role("link")).to_have_text(["Выдача бюллетеней", "Статистика", "Списки избирателей"])
    expect(menu.get_by_role("link", name="Выдача бюллетеней")).to_have_attribute("aria-current", "page")
    expect(page.locator("#roster-status")).to_contain_text("Список ДГ-05")
    expect(page.get_by_text("Регистрация избирателей")).to_have_count(0)  # the act is issuing a ballot
    check_a11y(page)
    # The same names in Kyrgyz and English: the page, the menu and the action on a voter's card.
    voter = DESK_VOTERS[4]
    for lang, title, menu_name, nav, action, find in (
            ("Кыргызча", "Шайлоо күнү бюллетендерди берүү", "Кызматкердин менюсу", "Бюллетендерди берүү", "Бюллетень берүү",
             "Табуу"),
            ("English", "Issuing ballots on election day", "Staff menu", "Issuing ballots", "Issue ballot", "Find")):
        page.get_by_role("button", name=lang).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page).to_have_title(re.compile("^" + re.escape(title) + " · "))
        menu = page.get_by_role("navigation", name=menu_name)
        expect(menu.get_by_role("link").first).to_have_text(nav)
        expect(menu.get_by_role("link").first).to_have_attribute("aria-current", "page")
        page.locator("#checkin-query").fill(voter[1])
        page.get_by_role("button", name=find, exact=True).click()
        card = page.get_by_role("region", name=f"{voter[3]} {voter[4]}")
        expect(card.get_by_role("heading", level=2)).to_be_focused()
        expect(card.get_by_role("button", name=action, exact=True)).to_be_visible()
        check_a11y(page)


def test_the_desk_rhythm_type_find_card_announced_issue_then_an_emptied_focused_field(page: Page, base_url: str):
    """Keyboard only, as with a scanner that types and presses Enter: the card takes the focus and is read
    by its heading (the voter's name), «Выдать бюллетень» says «Бюллетень выдан» in the status line and
    puts the focus back in the emptied search field; a refusal and a miss each end with «Следующий
    избиратель», which does the same."""
    first, second = DESK_VOTERS[6], DESK_VOTERS[7]
    _open_desk(page, base_url)
    query = page.get_by_label("Номер заявления или документа")
    result = page.locator("#checkin-result")
    # The status line is in the page before anything is put in it, so what is put in it is announced.
    expect(result).to_have_attribute("role", "status")
    expect(result).to_have_text("")

    query.focus()
    page.keyboard.type(first[5].replace("-", "").lower())
    page.keyboard.press("Enter")
    card = page.get_by_role("region", name=f"{first[3]} {first[4]}")
    expect(card.get_by_role("heading", level=2, name=f"{first[3]} {first[4]}")).to_be_focused()
    expect(card).to_contain_text(first[1])  # the document number and birth date identify the voter...
    expect(card).to_contain_text("07.07.1990")
    expect(card).not_to_contain_text("ПИН")  # ...with no PIN, masked or not, beside the birth date
    expect(card).not_to_contain_text("*")
    check_a11y(page)
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Выдать бюллетень")).to_be_focused()
    page.keyboard.press("Enter")
    expect(result).to_contain_text(f"Бюллетень выдан: {first[5]}")
    expect(query).to_be_focused()
    expect(query).to_have_value("")
    expect(card).to_have_count(0)
    check_a11y(page)

    # The same voter by document number: refused, the refusal read out, no ballot button; Next goes back.
    page.keyboard.type(first[1])
    page.keyboard.press("Enter")
    expect(card.get_by_role("heading", level=2)).to_be_focused()
    expect(card.get_by_role("alert")).to_contain_text("бюллетень уже выдан")
    expect(card.get_by_role("button", name="Выдать бюллетень")).to_have_count(0)
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Следующий избиратель")).to_be_focused()
    page.keyboard.press("Enter")
    expect(query).to_be_focused()
    expect(query).to_have_value("")

    # A number not on the list: the card says so and the member goes on the same way.
    page.keyboard.type("ID0000000")
    page.keyboard.press("Enter")
    missing = page.get_by_role("region", name="Не найдено")
    expect(missing.get_by_role("heading", level=2, name="Не найдено")).to_be_focused()
    expect(missing.get_by_role("alert")).to_contain_text("ID0000000 нет в списке этого участка.")
    missing.get_by_role("button", name="Следующий избиратель").click()
    expect(query).to_be_focused()
    expect(query).to_have_value("")

    # «Найти» pressed with a tap: the card still takes the focus; «Отмена» gives no ballot and goes back.
    query.fill(second[1])
    page.get_by_role("button", name="Найти").click()
    other = page.get_by_role("region", name=f"{second[3]} {second[4]}")
    expect(other.get_by_role("heading", level=2)).to_be_focused()
    other.get_by_role("button", name="Отмена").click()
    expect(query).to_be_focused()
    expect(query).to_have_value("")
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0")
    _find(page, second[5])
    expect(page.get_by_role("region", name=f"{second[3]} {second[4]}").get_by_role("button", name="Выдать бюллетень")).to_be_visible()


def test_check_in_by_camera_while_offline_and_the_mark_arrives_later(camera, browser, console, base_url: str,
                                                                     browser_context_args, server_env):
    voter = CHECKIN_VOTERS[1]
    reference, token, picture = _apply_and_read_pass(browser, console, base_url, voter)
    camera_browser, video = camera
    qr.picture_video(video, picture)  # the code as the voter's browser drew it, held up to the camera
    context = camera_browser.new_context(**browser_context_args)
    context.grant_permissions(["camera"])
    page = console.watch(context.new_page())
    _open_desk(page, base_url)

    context.set_offline(True)
    expect(page.locator("#connection-state")).to_have_text("Нет связи: отметки сохраняются на этом устройстве")
    page.get_by_role("button", name="Сканировать пропуск камерой").click()
    card = page.get_by_role("region", name=f"{voter[3]} {voter[4]}")
    expect(card).to_contain_text("Подпись пропуска проверена", timeout=20_000)  # verified in the browser, offline
    expect(card).to_contain_text(reference)
    card.get_by_role("button", name="Выдать бюллетень").click()
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 1")
    expect(page.locator("#checkin-result")).to_contain_text("будет отправлена, когда вернётся связь")
    check_a11y(page)
    # The same pass again while still offline: the device knows it marked the voter.
    page.get_by_label("Номер заявления или документа").fill(token)
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("#checkin-refused")).to_contain_text("бюллетень уже выдан")

    context.set_offline(False)
    expect(page.locator("#connection-state")).to_have_text("Связь есть", timeout=20_000)
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0", timeout=30_000)
    engine = sa.create_engine(server_env["REFLEX_DB_URL"])
    with engine.connect() as conn:
        marks = conn.execute(sa.text(
            "SELECT b.claimed_offline, b.method FROM ballotissue b JOIN application a ON a.id = b.application_id "
            "WHERE a.reference = :ref"), {"ref": reference}).all()
        flags = conn.execute(sa.text("SELECT kind FROM checkinflag WHERE reference = :ref"), {"ref": reference}).all()
    engine.dispose()
    assert [(bool(offline), method) for offline, method in marks] == [(True, "qr")]
    # The refused second scan, recorded after sync; and the device's offline time, outside election
    # day's opening hours (the demo election is weeks away), not taken.
    assert sorted(kind for (kind,) in flags) == ["bad_time", "repeat"]
    context.close()
    console.errors[:] = [e for e in console.errors if not _CONNECTION_NOISE.search(e)]
    assert console.errors == [], "browser console errors:\n" + "\n".join(console.errors)


# --- the desk's storage: two tabs, failed syncs, what stays in the browser ---

MEMBER = "Член УИК ДГ-05 (Ош)"  # uik.dg05's name in the demo seed

# Every string the page's storage holds (localStorage, sessionStorage, IndexedDB), plus what any
# base64url / base64 run in them decodes to (a JWS payload, say), and the CryptoKeys found in IndexedDB.
_STORAGE_DUMP = """async () => {
  const texts = [];
  const keys = [];
  const add = (value) => {
    const text = typeof value === "string" ? value : JSON.stringify(value, (k, v) => {
      if (v instanceof CryptoKey) { keys.push({ extractable: v.extractable, algorithm: v.algorithm.name }); return "CryptoKey"; }
      return v;
    });
    texts.push(text);
    for (const run of text.match(/[A-Za-z0-9+/_-]{16,}={0,2}/g) || []) {
      try {
        const b64 = run.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
        const bytes = Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
        texts.push(new TextDecoder().decode(bytes));
      } catch (e) { /* not base64 */ }
    }
  };
  for (const area of [window.localStorage, window.sessionStorage]) {
    for (let i = 0; i < area.length; i += 1) { add(area.key(i)); add(area.getItem(area.key(i))); }
  }
  const databases = (await indexedDB.databases()).map((d) => d.name);
  for (const name of databases) {
    const db = await new Promise((ok, fail) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    for (const store of Array.from(db.objectStoreNames)) {
      const rows = await new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result); });
      rows.forEach(add);
    }
    db.close();
  }
  return { texts, keys, databases, slots: Object.keys(window.localStorage) };
}"""

def _settled_storage(page: Page, timeout: float = 15) -> dict:
    """The browser's storage once no desk slot or key is left in it (polled: the wipe may run twice)."""
    deadline = time.monotonic() + timeout
    while True:
        stored = page.evaluate(_STORAGE_DUMP)
        secret = [k for k in stored["slots"] if re.search(r":(roster|book|day|outcomes|marked|key)$", k)]
        if (not stored["keys"] and not secret) or time.monotonic() > deadline:
            return stored
        page.wait_for_timeout(200)


# The roster as the desk stored it, opened with the desk's own key from IndexedDB.
_OPEN_ROSTER = """async () => {
  const slot = Object.keys(window.localStorage).find((k) => k.startsWith("rv-checkin:") && k.endsWith(":roster"));
  const sk = slot.slice(0, -":roster".length);
  const db = await new Promise((ok, fail) => { const r = indexedDB.open("rv-checkin"); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  const record = await new Promise((ok) => { const r = db.transaction("keys").objectStore("keys").get(sk); r.onsuccess = () => ok(r.result); });
  db.close();
  const b64 = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
  const box = JSON.parse(window.localStorage.getItem(slot));
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: b64(box.iv), additionalData: new TextEncoder().encode(slot) },
    record.key, b64(box.ct));
  const token = JSON.parse(new TextDecoder().decode(plain));
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const payload = JSON.parse(new TextDecoder().decode(b64(part + "===".slice((part.length + 3) % 4))));
  return { payload, extractable: record.key.extractable, type: record.key.algorithm.name };
}"""


def _personal(voters) -> list[str]:
    return [text for voter in voters for text in (voter[1], voter[3], voter[4])]


def _find(page: Page, text: str) -> None:
    page.get_by_label("Номер заявления или документа").fill(text)
    page.get_by_role("button", name="Найти").click()


def _issue(page: Page, text: str, voter) -> None:
    _find(page, text)
    page.get_by_role("region", name=f"{voter[3]} {voter[4]}").get_by_role("button", name="Выдать бюллетень").click()


def _refused(page: Page, text: str, timeout: int = 15_000) -> None:
    """The voter is found and refused, with no ballot button."""
    _find(page, text)
    expect(page.locator("#checkin-refused")).to_contain_text("бюллетень уже выдан", timeout=timeout)
    expect(page.get_by_role("button", name="Выдать бюллетень")).to_have_count(0)


def _issued_on_server(server_env, references: list[str]) -> dict[str, int]:
    engine = sa.create_engine(server_env["REFLEX_DB_URL"])
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT a.reference, count(*) FROM ballotissue b JOIN application a ON a.id = b.application_id "
            "WHERE a.reference IN :refs GROUP BY a.reference").bindparams(sa.bindparam("refs", expanding=True)),
            {"refs": references}).all()
    engine.dispose()
    return dict(rows)


def _clean_console(console) -> None:
    console.errors[:] = [e for e in console.errors if not _CONNECTION_NOISE.search(e)]


def test_two_tabs_offline_keep_both_marks_and_neither_voter_gets_a_second_ballot(page: Page, context, base_url: str,
                                                                                console, server_env):
    x, y = DESK_VOTERS[0], DESK_VOTERS[1]
    _open_desk(page, base_url)
    tab_b = context.new_page()  # a staff tab logs in on its own; the desk's data is the browser's
    _open_desk(tab_b, base_url)
    expect(page.locator("#roster-status")).to_contain_text("Список ДГ-05")  # tab A's login page deleted nothing

    context.set_offline(True)
    expect(page.locator("#connection-state")).to_have_text("Нет связи: отметки сохраняются на этом устройстве")
    _issue(page, x[5], x)  # tab A: voter X by reference
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 1")
    _issue(tab_b, y[1], y)  # tab B: voter Y by document number
    # Each tab sees the other's mark at once: both queued, and X refused in tab B.
    expect(tab_b.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 2")
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 2")
    _refused(tab_b, x[5])
    expect(tab_b.locator("#checkin-refused")).to_contain_text(MEMBER)
    _refused(page, y[1])

    context.set_offline(False)
    for tab in (page, tab_b):
        expect(tab.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0", timeout=30_000)
    assert _issued_on_server(server_env, [x[5], y[5]]) == {x[5]: 1, y[5]: 1}
    for tab in (page, tab_b):
        for voter in (x, y):
            _refused(tab, voter[5])
    page.close()
    _refused(tab_b, x[5])
    tab_b.reload()
    expect(tab_b.locator("#roster-status")).to_contain_text("Список ДГ-05")
    _refused(tab_b, x[1])
    _refused(tab_b, y[5])
    _clean_console(console)


def test_a_failed_sync_is_shown_and_a_malformed_mark_blocks_no_other(page: Page, base_url: str, console, server_env):
    z, w = DESK_VOTERS[2], DESK_VOTERS[3]
    _open_desk(page, base_url)
    page.route("**/staff/checkin/sync", lambda route: route.fulfill(status=500, body="{}"))
    _issue(page, z[5], z)
    problem = page.locator("#checkin-sync-problem")
    expect(page.get_by_role("alert").filter(has_text="Сервер временно не отвечает")).to_be_visible()
    expect(problem).to_contain_text("Сервер временно не отвечает (ошибка 500)")
    expect(problem).to_contain_text("Отметок на этом устройстве: 1")
    # Two malformed marks join the queue: one the server cannot parse (a qr mark with no pass), one with no usable id.
    page.evaluate("""() => {
      const slot = Object.keys(window.localStorage).find((k) => k.startsWith("rv-checkin:") && k.endsWith(":queue"));
      const queue = JSON.parse(window.localStorage.getItem(slot));
      queue.unshift({ id: "malformed-0001", ref: "DKAC-9999", method: "qr", issued: true, at: "yesterday", offline: true },
                    { id: 42, ref: "DKAC-7777", issued: true });
      window.localStorage.setItem(slot, JSON.stringify(queue));
    }""")
    page.unroute("**/staff/checkin/sync")
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0", timeout=30_000)
    expect(problem).to_have_count(0)
    assert _issued_on_server(server_env, [z[5]]) == {z[5]: 1}
    aside = page.get_by_role("region", name="Отметки, которые сервер не принял")
    expect(aside).to_contain_text("DKAC-9999")
    expect(aside).to_contain_text("DKAC-7777")
    check_a11y(page)

    # The session ends: the member is told to log in again and the mark stays on the device until then.
    page.route("**/staff/checkin/sync", lambda route: route.fulfill(status=401, body="{}"))
    _issue(page, w[5], w)
    expect(problem).to_contain_text("Войдите снова: ваши отметки (1) сохранены на этом устройстве")
    expect(page.locator("#roster-status")).to_have_text("Списка на этом устройстве пока нет.")  # gone with the session
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 1")
    # Logged out and in again: the login page deletes the old key and roster, never the queue.
    page.get_by_role("navigation", name="Меню сотрудника").get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/staff/login/?$"))
    page.unroute("**/staff/checkin/sync")
    assert _issued_on_server(server_env, [w[5]]) == {}
    _open_desk(page, base_url)
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0", timeout=30_000)
    assert _issued_on_server(server_env, [w[5]]) == {w[5]: 1}
    _clean_console(console)


def test_the_roster_is_kept_encrypted_without_pins_and_logout_leaves_nothing(page: Page, base_url: str, console):
    _open_desk(page, base_url)
    roster = page.evaluate(_OPEN_ROSTER)
    assert roster["extractable"] is False and roster["type"] == "AES-GCM"
    payload = roster["payload"]
    assert "salt" not in payload
    mine = {e["ref"]: e for e in payload["entries"]}
    assert {v[5] for v in DESK_VOTERS} <= set(mine)
    for entry in payload["entries"]:
        assert not {"pin", "pin_hash", "salt"} & set(entry), entry.keys()
    assert mine[DESK_VOTERS[4][5]]["doc"] == DESK_VOTERS[4][1]
    names = [e["name"] for e in payload["entries"]] + [e["doc"] for e in payload["entries"]]

    _find(page, DESK_VOTERS[4][1])  # by document number: the card shows no PIN
    card = page.get_by_role("region", name=f"{DESK_VOTERS[4][3]} {DESK_VOTERS[4][4]}")
    expect(card).to_contain_text("05.05.1990")
    expect(card).not_to_contain_text("ПИН")
    expect(card).not_to_contain_text("*")
    stored = page.evaluate(_STORAGE_DUMP)
    assert stored["keys"] == [{"extractable": False, "algorithm": "AES-GCM"}]
    leaks = [n for n in names + _personal(DESK_VOTERS) if any(n in text for text in stored["texts"])]
    assert not leaks, f"personal data in clear in the browser's storage: {leaks[:5]}"

    page.evaluate("window.rvDeskDocument = true")
    page.get_by_role("navigation", name="Меню сотрудника").get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/staff/login/?$"))
    # In the document the logout POST loads (the desk's own document shows /staff/login for a moment
    # first, and may finish a write after the login page's first wipe, which then wipes again).
    page.wait_for_function("() => !window.rvDeskDocument")
    stored = _settled_storage(page)
    assert stored["keys"] == []
    leaks = [n for n in names + _personal(DESK_VOTERS) if any(n in text for text in stored["texts"])]
    assert not leaks, f"personal data left in the browser after logout: {leaks[:5]}"


def test_a_mark_at_another_desk_is_refused_here_within_seconds_and_offline_double_issues_are_incidents(
        page: Page, browser, browser_context_args, base_url: str, console, server_env):
    v, u = DESK_VOTERS[4], DESK_VOTERS[5]
    _open_desk(page, base_url)
    other_context = browser.new_context(**browser_context_args)
    other = console.watch(other_context.new_page())
    _open_desk(other, base_url)

    # Online: the other desk marks V; this desk refuses V within seconds, naming the time and the member.
    _issue(other, v[5], v)
    expect(other.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0", timeout=15_000)
    _refused(page, v[5], timeout=12_000)  # the marks feed is polled every 5 s
    expect(page.locator("#checkin-refused")).to_contain_text(re.compile(rf"выдан в \d\d:\d\d \({re.escape(MEMBER)}"))

    # Offline at both desks, both give U a ballot: once back online, both desks show the incident.
    page.context.set_offline(True)
    other_context.set_offline(True)
    _issue(page, u[5], u)
    _issue(other, u[5], u)
    page.context.set_offline(False)
    other_context.set_offline(False)
    for desk in (page, other):
        incident = desk.get_by_role("region", name="Инциденты: бюллетень выдан дважды")
        expect(incident).to_contain_text(u[5], timeout=30_000)
        expect(incident).to_contain_text(MEMBER)
    assert _issued_on_server(server_env, [u[5]]) == {u[5]: 1}
    other_context.close()
    _clean_console(console)


def test_the_roster_is_deleted_once_its_election_day_is_past_even_offline(page: Page, base_url: str, console):
    _open_desk(page, base_url)
    page.context.set_offline(True)
    # The device's stored election day moved into the past, as if the desk were left open until the next day.
    page.evaluate("""() => {
      const slot = Object.keys(window.localStorage).find((k) => k.startsWith("rv-checkin:") && k.endsWith(":day"));
      window.localStorage.setItem(slot, JSON.stringify("2000-01-01"));
    }""")
    expect(page.locator("#roster-status")).to_have_text("Списка на этом устройстве пока нет.", timeout=15_000)
    stored = page.evaluate(_STORAGE_DUMP)
    assert stored["keys"] == []
    leaks = [n for n in _personal(DESK_VOTERS) if any(n in text for text in stored["texts"])]
    assert not leaks, f"personal data left in the browser after election day: {leaks[:5]}"
    page.context.set_offline(False)
    _clean_console(console)
