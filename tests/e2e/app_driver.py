"""Drives the Mini App pages in real Chromium as a phone (390 x 844) inside a stubbed Telegram client, counting
every tap, for the browser tests and the tap benchmark (benchmarks/taps_app.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zxingcpp
from aiohttp import web
from PIL import Image
from playwright.sync_api import sync_playwright

from bot.app.auth import sign_init_data
from bot.composition import build_app_parts
from bot.server import build_app
from core.catalog.products import NewProduct, create_product
from core.config import Config
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.accounts import bind_account
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
CAMERA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
BOT_TOKEN = "123456:TEST-token-for-the-mini-app"
TELEGRAM_IDS = {"sales-1": 5001, "warehouse-1": 5002, "manager-1": 5003}
TIMEOUT_MS = 20_000
# products whose EAN-13 the camera films (check digits computed by zxing-cpp when drawn)
SCANNED = (NewProduct("MUG-BWB", "保温杯", "Thermos mug", purchase_price="20", sale_price="45", floor_price="30",
                      barcodes=("6920000000012",)),
           NewProduct("PEN-GEL", "中性笔", "Gel pen", purchase_price="1", sale_price="3", floor_price="2",
                      barcodes=("6920000000029",)))
UNKNOWN_CODE = "6920000000036"
THEME = {"bg_color": "#1f2933", "text_color": "#f5f7fa", "hint_color": "#9aa5b1", "button_color": "#3ea6ff",
         "button_text_color": "#0b1620", "secondary_bg_color": "#2a3642"}


@dataclass(frozen=True)
class AppShop:
    shop: Shop
    po_number: str


def open_shop(uow: UnitOfWork, admin: Actor) -> AppShop:
    """The small shop, a customer with an earlier order, stock, scanned products, an approved 3-line purchase
    order, and Telegram accounts bound for the salesperson, the warehouse worker and the manager."""
    shop = make_shop(uow, admin)
    for product in SCANNED:
        create_product(uow, admin, product)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "9.5"), LineIn("TEA-CUP", 40, "3.3"),
                                       LineIn("LAMP", 3, "45"), LineIn("MUG-BWB", 8, "20"), LineIn("PEN-GEL", 9, "1")])
    create_customer(uow, admin, NewCustomer("C-BLUE", "蓝海百货", salesperson="sales-1"))
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易"))
    draft = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [
        PurchaseLineIn("RETRO-CLOCK", 10, "9.50"), PurchaseLineIn("TEA-CUP", 24, "3.30"),
        PurchaseLineIn("LAMP", 4, "40")])
    submit_purchase_order(uow, shop.purchaser, draft.number)
    for name, user_id in TELEGRAM_IDS.items():
        bind_account(uow, admin, name, "telegram", str(user_id), str(user_id))
    return AppShop(shop, draft.number)


@contextmanager
def serving(db_url: str) -> Iterator[str]:
    """Our server (composition root, real aiohttp, Telegram's token configured for initData) on 127.0.0.1."""
    config = Config(sections={"database": {"url": db_url}, "server": {"public_url": "https://jxc.example.com"},
                              "telegram": {"token": BOT_TOKEN, "mode": "polling"},
                              "company": {"timezone": "Asia/Shanghai"}})
    parts = build_app_parts(config)
    parts.channels = [c for c in parts.channels if c.name != "telegram"]  # the pages need no Bot API
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(build_app(parts), handle_signals=False)
    address: list[str] = []
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
        address.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="jxc-app-server", daemon=True)
    thread.start()
    assert ready.wait(30), "the server did not start"
    try:
        yield address[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


@contextmanager
def chromium(camera: Path | None = None) -> Iterator[Any]:
    """Debian's Chromium; with `camera`, a fake camera filming that Y4M file (looped)."""
    args = CHROMIUM_ARGS + ([*CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera}"] if camera else [])
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield launched
        finally:
            launched.close()


def telegram_stub(user_id: int, lang: str = "zh-hans") -> str:
    """A script that plays Telegram's client: window.Telegram.WebApp with initData signed by the bot token."""
    user = json.dumps({"id": user_id, "first_name": "Test", "language_code": lang}, separators=(",", ":"))
    init_data = sign_init_data({"query_id": f"Q{user_id}", "user": user, "auth_date": str(int(time.time()))},
                               BOT_TOKEN)
    return f"""
      window.__haptics = [];
      window.Telegram = {{ WebApp: {{
        initData: {json.dumps(init_data)}, themeParams: {json.dumps(THEME)}, platform: "android",
        ready() {{}}, expand() {{}}, close() {{}},
        HapticFeedback: {{ notificationOccurred(kind) {{ window.__haptics.push(kind); }},
                           impactOccurred() {{}}, selectionChanged() {{}} }} }} }};
    """


@dataclass
class Phone:
    """A phone-sized page in a Telegram Mini App, counting the person's taps (a tap on a button, a list item, or on
    a field to type in it; typing in the field that already has the focus is not a tap)."""

    page: Any
    taps: int = 0
    log: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def tap(self, selector: str, what: str = "") -> None:
        self.page.locator(selector).first.click()
        self.taps += 1
        self.log.append(what or selector)

    def type(self, selector: str, text: str) -> None:
        field_ = self.page.locator(selector).first
        if not field_.evaluate("node => node === document.activeElement"):
            field_.click()
            self.taps += 1
            self.log.append(f"focus {selector}")
        field_.fill(text)


def phone(launched: Any, url: str, employee: str, path: str, locale: str = "zh-CN") -> Phone:
    """The page `path` opened from Telegram by `employee` (their Telegram account is bound)."""
    context = launched.new_context(**PHONE, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    context.route("https://telegram.org/**", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body="/* Telegram's script: the test plays the client */"))
    context.add_init_script(telegram_stub(TELEGRAM_IDS[employee]))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(url + path)
    return Phone(page, errors=errors)


# ---- the three tasks --------------------------------------------------------------------------------------------

def sales_order(p: Phone, lines: list[tuple[str, str, str]]) -> str:
    """A sales order for 蓝海百货 of `lines` (typed search, expected SKU, quantity) with the third line's quantity
    raised by the stepper; the notice the person reads at the end."""
    page = p.page
    page.locator("#warehouse option").first.wait_for(state="attached")
    p.type("#customer-q", "蓝海")
    p.tap('#customer-list button[data-code="C-BLUE"]', "customer")
    for typed, sku, qty in lines:
        p.type("#item-q", f"{typed} {qty}" if qty != "1" else typed)
        p.tap(f'#item-list button[data-sku="{sku}"]', f"item {sku}")
        page.locator(f'#lines .line[data-sku="{sku}"]').wait_for()
    page.locator("#total").filter(has_text="¥").or_(page.locator("#total").filter(has_text="CN¥")).wait_for()
    p.tap("#submit", "submit")
    page.locator("#notice.ok").wait_for()
    return str(page.locator("#notice").inner_text())


def receive_order(p: Phone, number: str, partial_sku: str, got: str, bad: str, reason: str) -> str:
    """Receive a purchase order: all as expected, then one line partly received with a rejection and its reason."""
    page = p.page
    page.locator(f'#orders button[data-number="{number}"]').wait_for()
    p.tap(f'#orders button[data-number="{number}"]', "order")
    p.tap("#all-expected", "all as expected")
    line = f'#po-lines .line[data-sku="{partial_sku}"]'
    p.type(f"{line} input.got", got)
    p.type(f"{line} input.bad", bad)
    p.type(f"{line} input.note", reason)
    p.tap("#submit", "receive")
    page.locator("#notice.ok").wait_for()
    return str(page.locator("#notice").inner_text())


def count_by_scanning(p: Phone, reads: int, shot: Path | None = None) -> str:
    """Start a count, let the camera read `reads` codes, pause, submit and confirm (a screenshot to `shot` once
    the counts are recorded, before confirming)."""
    page = p.page
    page.locator("#warehouse option").first.wait_for(state="attached")
    p.tap("#start", "start scanning")
    page.wait_for_function(f"() => Number(document.getElementById('reads').textContent) >= {reads}", timeout=90_000)
    p.tap("#pause", "pause")
    p.tap("#submit", "submit")
    page.locator("#confirm-text").filter(has_text="?").or_(
        page.locator("#confirm-text").filter(has_text="？")).wait_for()
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    p.tap("#submit", "confirm")
    page.locator("#notice.ok").wait_for()
    return str(page.locator("#notice").inner_text())


# ---- the film the fake camera plays -------------------------------------------------------------------------

def ean13(twelve: str) -> str:
    """The full EAN-13 (with its check digit) of twelve digits."""
    return str(zxingcpp.create_barcode(twelve, zxingcpp.BarcodeFormat.EAN13).text)


def barcode_frame(code: str | None, width: int = 640, height: int = 480) -> np.ndarray:
    """A grey picture the camera sees: white paper with one code in the middle (13 digits an EAN-13, anything
    else a DataMatrix, as a GS1 label carries it), or nothing."""
    canvas = Image.new("L", (width, height), 235)
    if code is not None:
        ean = code.isdigit() and len(code) == 13
        symbol = zxingcpp.create_barcode(code[:12], zxingcpp.BarcodeFormat.EAN13) if ean else zxingcpp.create_barcode(
            code, zxingcpp.BarcodeFormat.DataMatrix)
        drawn = np.asarray(symbol.to_image(scale=3 if ean else 6))
        label = Image.fromarray(drawn.astype(np.uint8))
        canvas.paste(label, ((width - label.width) // 2, (height - label.height) // 2))
    return np.asarray(canvas, dtype=np.uint8)


def write_y4m(path: Path, codes: list[str], fps: int = 10, shown: int = 6, gap: int = 8, tail: int = 40) -> Path:
    """A Y4M film (4:2:0) showing each code for `shown` frames with `gap` empty frames between, then `tail` empty
    frames, so that each code shown is one read (Chromium loops the film)."""
    width, height = 640, 480
    blank = barcode_frame(None, width, height)
    chroma = bytes([128]) * (width * height // 2)
    with path.open("wb") as film:
        film.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())

        def frames(picture: np.ndarray, n: int) -> None:
            data = picture.tobytes() + chroma
            for _ in range(n):
                film.write(b"FRAME\n" + data)

        for code in codes:
            frames(barcode_frame(code, width, height), shown)
            frames(blank, gap)
        frames(blank, tail)
    return path
