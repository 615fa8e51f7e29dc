"""FaceID (PIN + a live capture from Chromium's fake camera) and the national eID (OpenID Connect) logins, in the browser."""

import re

import pytest
from PIL import ImageOps
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, check_a11y
from tests.e2e.fixtures import FACE_VOTER
from tests.support import faces


@pytest.fixture
def viewport():
    return DESKTOP


@pytest.fixture
def camera(browser_type, browser_type_launch_args, tmp_path):
    """Chromium with its fake camera reading `camera.video` (a Y4M file the test writes)."""
    video = faces.still_photo_video(tmp_path / "camera.y4m")  # the same size as what the test writes later
    args = [*browser_type_launch_args.get("args", []), "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    yield browser, video
    browser.close()


@pytest.fixture
def face_page(camera, console, browser_context_args):
    browser, _video = camera
    context = browser.new_context(**browser_context_args)
    context.grant_permissions(["camera"])
    page = console.watch(context.new_page())
    yield page
    context.close()
    assert console.errors == [], "browser console errors:\n" + "\n".join(console.errors)


MOVE_TEXTS = {"Поверните голову влево": "left", "Поверните голову вправо": "right", "Посмотрите прямо в камеру": "straight"}


def _face_challenge(page: Page, base_url: str):
    """PIN, then the capture step; returns the start button."""
    page.goto(f"{base_url}/login")
    page.get_by_role("link", name="FaceID (фото и ПИН)").click()
    expect(page.get_by_role("heading", name="Вход по FaceID")).to_be_visible()
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(FACE_VOTER)
    page.get_by_role("button", name="Далее").click()
    start = page.get_by_role("button", name="Включить камеру и начать")
    expect(start).to_be_visible()
    expect(page.locator("#face-challenge")).to_contain_text("по одному")
    expect(page.locator("#face-challenge")).to_be_focused()  # the PIN form left: focus on the new step
    check_a11y(page)
    return start


def test_face_a_photo_warped_live_to_each_revealed_move_logs_in_with_a_face_session(face_page: Page, base_url: str,
                                                                                      camera, tmp_path):
    # What FaceID does not stop, shown in the browser: the moves are revealed one at a time, and
    # the attacker (this test) reads each one and puts the public photo, warped to that pose, in
    # front of the virtual camera. The result is a FaceID login (a session of method "face").
    # The attacker reacts within the second each move gives; on a loaded test machine it may miss
    # one, and then does what a real attacker does: tries again, with a fresh synthesis (the same
    # frames again would be refused as a replay).
    _browser, video = camera
    start = _face_challenge(face_page, base_url)
    refused = face_page.get_by_role("alert").filter(has_text="живой человек")
    for attempt in range(2):
        poses = {(move, step): faces.pose_video(tmp_path / f"{move}-{step}-{attempt}.y4m", move, step, attempt)
                 for move in MOVE_TEXTS.values() for step in range(4)}
        faces.show_in_place(video, poses["straight", 0])
        start.click()
        shown = ""
        for step in range(4):  # each move appears ~1 s before its frames are taken: poll quickly
            shown = face_page.wait_for_function(
                "prev => { const t = document.getElementById('face-instruction').innerText;"
                " return t && t !== prev && !t.startsWith('Проверяем') ? t : null; }", arg=shown, polling=50).json_value()
            faces.show_in_place(video, poses[MOVE_TEXTS[shown], step])
        expect(face_page.get_by_role("heading", name="Кабинет избирателя", level=1).or_(refused)).to_be_visible(timeout=40_000)
        if not refused.is_visible():
            break
    expect(face_page).to_have_url(re.compile(r"/cabinet/?$"), timeout=40_000)


def test_face_still_photo_is_refused_and_says_why(face_page: Page, base_url: str, camera):
    _browser, video = camera
    faces.show_in_place(video, faces.still_photo_video(video.with_suffix(".still"), ImageOps.mirror(faces.astronaut_image())))
    _face_challenge(face_page, base_url).click()
    expect(face_page.get_by_role("alert")).to_contain_text("живой человек", timeout=40_000)
    expect(face_page).to_have_url(re.compile(r"/login/face/?$"))
    face_page.goto(f"{base_url}/cabinet")
    expect(face_page).to_have_url(re.compile(r"/login/?$"))  # still logged out


def _provider_login(page: Page, account: str = "voter") -> None:
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit]").click()


def test_eid_happy_path(page: Page, base_url: str):
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Электронная подпись / eID").click()
    # The provider's own pages (not ours): its development login and consent forms.
    _provider_login(page)
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cabinet/?$"), timeout=20_000)
    expect(page.locator("#voter-name")).to_contain_text("Асанова Айгуль")
    # An eID login makes the browser trusted for SMS login (services.identity.devices): an HttpOnly device cookie.
    assert any(c["name"] == "__Host-rv_device" and c["httpOnly"] for c in page.context.cookies())


def test_eid_cancel_and_replay_leave_the_voter_logged_out(page: Page, base_url: str):
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Электронная подпись / eID").click()
    _provider_login(page)
    captured = []
    page.on("request", lambda r: captured.append(r.url) if "/login/eid" in r.url and "code=" in r.url else None)
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cabinet/?$"), timeout=20_000)
    callback_url = captured[0]
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    # Replaying the provider's redirect (same state and code) does not log anyone in.
    page.goto(callback_url)
    expect(page.get_by_role("alert")).to_be_visible()
    check_a11y(page)
    page.goto(f"{base_url}/cabinet")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    check_a11y(page)


def test_eid_cancelled_at_the_provider_says_so(page: Page, base_url: str):
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Электронная подпись / eID").click()
    page.locator("a[href$='/abort']").click()  # the provider's own "cancel" link
    expect(page).to_have_url(re.compile(r"/login/eid"))
    expect(page.get_by_role("alert")).to_contain_text("отклон", ignore_case=True)
    page.goto(f"{base_url}/cabinet")
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_eid_unknown_to_the_register_is_refused(page: Page, base_url: str):
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Электронная подпись / eID").click()
    _provider_login(page, account="nopin")  # the provider vouches for someone without a PIN claim
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login/eid"))
    expect(page.get_by_role("alert")).to_be_visible()
    page.goto(f"{base_url}/cabinet")
    expect(page).to_have_url(re.compile(r"/login/?$"))
