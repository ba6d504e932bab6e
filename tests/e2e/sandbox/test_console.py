"""The officer's desk in the sandbox (GET /console): served by `serve` in sandbox mode only,
every action through the bot's real paths (signed Zalo webhooks, the fake Zalo's records, the
fake Sheets API, the onEdit hook, the sync cycle), and usable in a real browser."""
from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from tests.support import ROOT

CODE = re.compile(r"\b(PA|KN|HD)-\d{4}-\d{4,}\b")
# Buttons that move a report forward, most decisive first.
FORWARD = ("Gửi phản ánh", "Không có ảnh", "Bỏ qua")
REPORT = "den duong ngo 12 to 5 hong 3 hom nay r"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resident_id() -> str:
    return "70" + str(uuid.uuid4().int)[:16]


# ---- a `serve` process of its own, on SQLite or on a fresh PostgreSQL database --------------
@pytest.fixture(scope="module")
def server_database(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield f"sqlite:///{tmp_path_factory.mktemp('console') / 'serve.db'}"
        return
    import psycopg

    admin = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"hts_console_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{admin.rpartition('/')[0]}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Serve:
    def __init__(self, database_url: str, tmp: Path, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("ZALO_", "DATABASE_URL", "SHEET", "GOOGLE_", "APP_ENV"))}
        base.update(DATABASE_URL=database_url, PORT=str(self.port), PYTHONPATH=str(ROOT),
                    SANDBOX_FILE=str(tmp / "sandbox.json"), LOG_LEVEL="WARNING", **env)
        self.log = tmp / "serve.out"
        with open(self.log, "w") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
                                            cwd=ROOT, env=base, stdout=out, stderr=subprocess.STDOUT,
                                            text=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.output()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:  # not listening yet, or busy starting up
                time.sleep(0.2)
        else:
            self.stop()
            raise AssertionError("serve did not start")

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        return self.output()

    def sql(self, query: str, **params) -> list:
        engine = create_engine(self.database_url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                return conn.execute(text(query), params).all()
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def sandbox(server_database, tmp_path_factory):
    server = Serve(server_database, tmp_path_factory.mktemp("sandbox"))
    yield server
    out = server.stop()
    assert server.process.returncode == 0, out


# ---- the console's API, as the page uses it -------------------------------------------------
class Resident:
    def __init__(self, base: str, name: str = "Bác Thử", ward: str = "default"):
        self.base, self.user_id, self.name, self.ward = base, resident_id(), name, ward
        self.after_id = 0
        self.seen: list[dict] = []

    def send(self, **data) -> requests.Response:
        return requests.post(f"{self.base}/console/api/send", timeout=10,
                             json={"user_id": self.user_id, "name": self.name, "ward": self.ward, **data})

    def say(self, words: str) -> None:
        assert self.send(type="text", text=words).json() == {"ok": True}

    def new_messages(self, wait: float = 15.0) -> list[dict]:
        got, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline:
            body = requests.get(f"{self.base}/console/api/messages", timeout=10,
                                params={"user_id": self.user_id, "after_id": self.after_id,
                                        "ward": self.ward}).json()
            for message in body["messages"]:
                self.after_id = max(self.after_id, message["id"])
                got.append(message)
            if got and not body["messages"]:
                break
            time.sleep(0.4)
        self.seen += got
        return got

    def until_code(self, steps: int = 6) -> str:
        """Tap the buttons that move a report forward until the bot gives a ticket code."""
        for _ in range(steps):
            messages = self.new_messages()
            assert messages, "the bot did not answer"
            for message in messages:
                found = CODE.search(message["text"])
                if found:
                    return found.group(0)
            titles = [b["payload"] for b in messages[-1]["buttons"]]
            tap = next((t for t in FORWARD if t in titles), None)
            assert tap, f"no button moves the report forward: {messages[-1]}"
            self.say(tap)
        raise AssertionError(f"no ticket code after {steps} steps: {self.seen}")


def board_row(base: str, code: str, wait: float = 15.0, until=lambda row: True,
              ward: str = "default") -> list[str]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        body = requests.get(f"{base}/console/api/board", params={"ward": ward}, timeout=10).json()
        for row in body["rows"]:
            if row[0] == code and until(dict(zip(body["header"], row))):
                return dict(zip(body["header"], row))
        time.sleep(0.3)
    raise AssertionError(f"{code} not on the board as expected")


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_serve_prints_the_console_address_and_serves_the_page(sandbox):
    assert (f"Bàn thử nghiệm (chọn phường, cư dân nhắn Zalo + cán bộ sửa bảng Phiếu, số liệu cả "
            f"thành phố): {sandbox.url}/console") in sandbox.output()
    page = requests.get(f"{sandbox.url}/console", timeout=5)
    assert page.status_code == 200 and "Bảng «Phiếu»" in page.text
    assert requests.get(f"{sandbox.url}/console/static/console.js", timeout=5).ok


def test_a_photo_goes_the_zalo_image_path_to_the_board(sandbox):
    resident = Resident(sandbox.url)
    resident.say(REPORT)
    assert resident.new_messages()
    resp = requests.post(f"{sandbox.url}/console/api/photo", timeout=10,
                         data={"user_id": resident.user_id, "name": resident.name},
                         files={"file": ("den-hong.png", png_bytes(), "image/png")})
    assert resp.ok, resp.text
    url = resp.json()["photo"]
    # Hosted on the fake Zalo as Zalo's CDN holds a resident's photo, bytes intact.
    assert requests.get(url, timeout=5).content == png_bytes()
    code = resident.until_code()
    assert board_row(sandbox.url, code)["Ảnh"] == url
    # The webhook event is the one Zalo sends for a photo.
    assert sandbox.sql("SELECT COUNT(*) FROM inbound_events WHERE event_name = 'user_send_image' "
                       "AND payload LIKE :url", url=f"%{url}%")[0][0] == 1


def test_a_location_is_a_signed_user_send_location_event(sandbox):
    resident = Resident(sandbox.url)
    resp = resident.send(type="location", lat="16.0678", lng="108.2208")
    assert resp.json() == {"ok": True}
    assert resident.new_messages(), "the bot did not answer a shared location"
    payloads = sandbox.sql("SELECT payload FROM inbound_events WHERE event_name = 'user_send_location' "
                           "AND payload LIKE :who", who=f"%{resident.user_id}%")
    assert len(payloads) == 1 and "108.2208" in payloads[0][0]
    bad = resident.send(type="location", lat="bắc", lng="108")
    assert bad.status_code == 400 and "Vĩ độ" in bad.json()["error"]


def test_an_answer_typed_on_the_board_reaches_the_resident(sandbox):
    resident = Resident(sandbox.url)
    resident.say(REPORT)
    code = resident.until_code()
    board_row(sandbox.url, code)
    answer = "Tổ điện lực sẽ thay bóng đèn ngõ 12 trong tuần này."
    resp = requests.post(f"{sandbox.url}/console/api/edit", timeout=10,
                         json={"code": code, "column": "Trả lời người dân", "value": answer})
    assert resp.json() == {"ok": True}
    texts = []
    deadline = time.monotonic() + 20
    while answer not in "\n".join(texts) and time.monotonic() < deadline:
        texts += [m["text"] for m in resident.new_messages(wait=2)]
    assert any(answer in t and code in t for t in texts), texts
    # Through the onEdit hook (its editor named in the audit trail) and the sync's pull.
    assert sandbox.sql("SELECT COUNT(*) FROM inbound_events WHERE source = 'sheet' AND payload LIKE :c",
                       c=f"%{code}%")[0][0] == 1
    assert sandbox.sql("SELECT e.actor FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                       "WHERE t.code = :c AND e.field = 'answer'", c=code) == [("sheet:can-bo-thu@sandbox.local",)]


def test_sample_officers_then_assign_one_on_the_board(sandbox):
    resident = Resident(sandbox.url)
    resident.say(REPORT)
    code = resident.until_code()
    board_row(sandbox.url, code)
    assert requests.post(f"{sandbox.url}/console/api/sample-officers", timeout=10).json() == {"ok": True}
    deadline = time.monotonic() + 15
    while "Cán bộ Mẫu A" not in requests.get(f"{sandbox.url}/console/api/board", timeout=10).json()["officers"]:
        assert time.monotonic() < deadline, "sample officers not in the Cán bộ tab"
        time.sleep(0.3)
    resp = requests.post(f"{sandbox.url}/console/api/edit", timeout=10,
                         json={"code": code, "column": "Người xử lý", "value": "Cán bộ Mẫu A"})
    assert resp.json() == {"ok": True}
    deadline = time.monotonic() + 15
    while sandbox.sql("SELECT assignee FROM tickets WHERE code = :c", c=code) != [("Cán bộ Mẫu A",)]:
        assert time.monotonic() < deadline, "the assignment was not applied"
        time.sleep(0.3)
    assert board_row(sandbox.url, code)["Ghi chú hệ thống"] == ""
    # The officers synced into the database, their Zalo ids kept as text.
    assert ("Cán bộ Mẫu A", "7100000000000000001") in sandbox.sql("SELECT name, zalo_user_id FROM officers")


def test_the_chosen_ward_has_its_own_oa_board_and_codes_and_the_city_sets_both_side_by_side(sandbox):
    info = requests.get(f"{sandbox.url}/console/api/info", timeout=10).json()
    assert [(w["code"], w["name"]) for w in info["wards"]] == [("default", "Phường Mẫu Một"),
                                                              ("mau-2", "Phường Mẫu Hai")]
    resident = Resident(sandbox.url, ward="mau-2")
    resident.say(REPORT)
    code = resident.until_code()
    assert code.endswith("-0001"), code                          # ward 2 numbers its own tickets
    assert board_row(sandbox.url, code, ward="mau-2")["Nội dung"] == REPORT
    assert sandbox.sql("SELECT w.code FROM tickets t JOIN wards w ON w.id = t.ward_id WHERE t.code = :c "
                       "AND t.text = :t AND t.ward_id <> 1", c=code, t=REPORT) == [("mau-2",)]
    # The default ward's OA sent that resident nothing: ward 2's OA answered.
    same_id_in_ward_1 = Resident(sandbox.url, ward="default")
    same_id_in_ward_1.user_id = resident.user_id
    assert same_id_in_ward_1.new_messages(wait=1) == []
    city = requests.get(f"{sandbox.url}/console/api/city", timeout=10).json()
    figures = {w["code"]: w for w in city["wards"]}
    assert list(figures) == ["default", "mau-2"] and figures["mau-2"]["received"] == 1
    assert figures["default"]["received"] == sandbox.sql("SELECT COUNT(*) FROM tickets WHERE ward_id = 1")[0][0]
    assert set(figures["mau-2"]) >= {"resolved", "overdue"}
    published = requests.post(f"{sandbox.url}/console/api/city/publish", json={}, timeout=10).json()
    assert (published["ok"], published["wards"], published["tab"]) == (True, 2, "Tổng hợp")
    unknown = requests.get(f"{sandbox.url}/console/api/board", params={"ward": "khong-co"}, timeout=10)
    assert unknown.status_code == 404 and "khong-co" in unknown.json()["error"]


def test_service_columns_are_not_editable_from_the_console(sandbox):
    resp = requests.post(f"{sandbox.url}/console/api/edit", timeout=10,
                         json={"code": "PA-2026-0001", "column": "Nội dung", "value": "sửa"})
    assert resp.status_code == 400 and "do hệ thống ghi" in resp.json()["error"]
    bad = requests.post(f"{sandbox.url}/console/api/send", timeout=10,
                        json={"user_id": "abc", "type": "text", "text": "alo"})
    assert bad.status_code == 400 and "Mã Zalo" in bad.json()["error"]


# ---- never outside the sandbox --------------------------------------------------------------
def test_no_console_when_zalo_is_configured(tmp_path, fake_zalo):
    """A development server with Zalo credentials (here pointed at a fake Zalo): no console."""
    from tests.support import APP_ID, APP_SECRET, OA_ID, OA_SECRET

    server = Serve(f"sqlite:///{tmp_path / 'dev.db'}", tmp_path, ZALO_APP_ID=APP_ID,
                   ZALO_APP_SECRET=APP_SECRET, ZALO_OA_SECRET_KEY=OA_SECRET, ZALO_OA_ID=OA_ID,
                   ZALO_ACCESS_TOKEN="test-access-token", ZALO_REFRESH_TOKEN="test-refresh-token",
                   ZALO_API_BASE=fake_zalo.base_url, ZALO_OAUTH_BASE=fake_zalo.base_url)
    try:
        for path in ("/console", "/console/", "/console/api/board", "/console/static/console.js"):
            assert requests.get(server.url + path, timeout=5).status_code == 404, path
        assert requests.post(server.url + "/console/api/edit", json={}, timeout=5).status_code == 404
    finally:
        out = server.stop()
    assert "Bàn thử nghiệm" not in out


def test_the_console_refuses_production(settings):
    from bot.sandbox import console
    from bot.app import create_app

    prod = settings.with_overrides(app_env="production")
    app = create_app(prod)
    try:
        with pytest.raises(RuntimeError):
            console.install(app, prod, {})
        assert app.test_client().get("/console").status_code == 404
    finally:
        app.extensions["hts_inbox"].close()


# ---- in a real browser ----------------------------------------------------------------------
@pytest.fixture()
def browser(tmp_path):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        reason = f"Chromium not installed ({', '.join(missing)}): apt-get install chromium chromium-driver"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(reason + " (REQUIRE_BROWSER is set)")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,900", "--lang=vi", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(arg)
    # The driver's path is given: Selenium Manager never looks for one on the network.
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    shot = os.environ.get("CONSOLE_SCREENSHOT")  # a PNG to look at while working on the page
    if shot:
        driver.save_screenshot(shot)
    driver.quit()


def test_in_a_browser_report_resolve_on_the_board_rate_and_reopen(browser, sandbox):  # no browser: fail fast
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    started = time.monotonic()
    wait = WebDriverWait(browser, 20, poll_frequency=0.1)
    browser.get(f"{sandbox.url}/console")
    who = browser.find_element(By.ID, "user-id")
    who.clear()
    who.send_keys(resident_id())

    def bot_bubbles():
        return browser.find_elements(By.CSS_SELECTOR, "#chat .bubble.bot")

    def after(count):
        wait.until(lambda _: len(bot_bubbles()) > count)
        time.sleep(0.6)  # a reply may come in two messages
        return bot_bubbles()

    # The resident types the report, then taps the bot's buttons until a code comes back.
    browser.find_element(By.ID, "text").send_keys(REPORT + "\n")
    bubbles, code = after(0), None
    for _ in range(6):
        found = CODE.search(browser.find_element(By.ID, "chat").text)
        if found:
            code = found.group(0)
            break
        titles = {b.text: b for b in bubbles[-1].find_elements(By.CSS_SELECTOR, ".bot-button")}
        tap = next((t for t in FORWARD if t in titles), None)
        assert tap, f"no button moves the report forward: {bubbles[-1].text}"
        count = len(bubbles)
        titles[tap].click()
        bubbles = after(count)
    assert code, browser.find_element(By.ID, "chat").text

    # The officer finds the row on the board and sets its status.
    status = wait.until(lambda _: browser.find_elements(
        By.CSS_SELECTOR, f"#board tr[data-code='{code}'] select[data-column='Trạng thái']"))[0]
    count = len(bot_bubbles())
    Select(status).select_by_visible_text("Đã giải quyết")

    # The resident's chat shows the news, then the rating prompt with its buttons.
    wait.until(lambda _: f"phiếu {code} đã được giải quyết" in browser.find_element(By.ID, "chat").text)
    wait.until(lambda _: "5 ⭐" in [b.text for b in after(count)[-1].find_elements(By.CSS_SELECTOR, ".bot-button")])

    # The resident rates, then says it is not done after all: the board shows it reopened.
    [b for b in bot_bubbles()[-1].find_elements(By.CSS_SELECTOR, ".bot-button") if b.text == "5 ⭐"][0].click()
    wait.until(lambda _: "đánh giá 5 sao" in browser.find_element(By.ID, "chat").text)
    browser.find_element(By.ID, "text").send_keys("chưa xong\n")
    wait.until(lambda _: Select(browser.find_element(
        By.CSS_SELECTOR, f"#board tr[data-code='{code}'] select[data-column='Trạng thái']"))
        .first_selected_option.text == "Đang xử lý")
    assert browser.find_element(By.ID, "board-error").text == ""
    assert browser.find_element(By.ID, "chat-error").text == ""
    assert sandbox.sql("SELECT status, rating FROM tickets WHERE code = :c AND ward_id = 1", c=code) \
        == [("in_progress", 5)]

    # The city strip sets the wards side by side; choosing the other ward switches the panes.
    wait.until(lambda _: len(browser.find_elements(By.CSS_SELECTOR, "#city-wards .city-ward")) == 2)
    Select(browser.find_element(By.ID, "ward")).select_by_value("mau-2")
    assert browser.find_element(By.ID, "board-ward").text == "Phường Mẫu Hai"
    assert browser.find_element(By.ID, "oa-name").text == "Phường Mẫu Hai"
    assert browser.find_elements(By.CSS_SELECTOR, "#chat .bubble") == []   # ward 2's OA: no talk yet
    assert time.monotonic() - started < 30
