"""Item search over 100,000 products: what a person types for an item (a SKU, a fragment of the Chinese or English
name, full pinyin, initials, a typo, nothing known) resolved by the item resolver, as the chat resolves a line, p50
and p99 in milliseconds, against a plain indexed SKU lookup in the same run. The products' searchable columns are
spelled as an import spells them; that time is printed too."""

from __future__ import annotations

import contextlib
import random
import statistics
import time
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import bindparam, insert, select

from benchmarks.common import Backend, Database, database
from core.catalog.resolve import items_in
from core.catalog.spelling import spelling
from core.errors import DomainError
from core.models import Product
from core.models.searchable import search_values

PRODUCTS = 100_000
ROUNDS = 300
CHUNK = 5000
_ZH = ("保温杯 不锈钢 水杯 茶杯 玻璃杯 马克杯 陶瓷 餐具 筷子 勺子 饭盒 电饭煲 电水壶 毛巾 "
       "浴巾 牙刷 牙膏 洗发水 沐浴露 香皂 纸巾 湿巾 垃圾袋 收纳盒 衣架 拖鞋 雨伞 台灯 "
       "插座 数据线 充电器 耳机 鼠标 键盘 笔记本 圆珠笔 铅笔 橡皮 文件夹 胶带 剪刀 订书机 "
       "计算器 蓝色 红色 黑色 白色 大号 小号 加厚 便携 家用 儿童 重庆 长城 绿茶 行李箱")
_EN = ("cup steel bottle tea glass mug ceramic bowl chopsticks spoon lunchbox cooker kettle towel brush paste "
       "shampoo soap tissue wipes bag box hanger slippers umbrella lamp socket cable charger earphones mouse "
       "keyboard notebook pen pencil eraser folder tape scissors stapler calculator blue red black white large "
       "small thick portable home kids")
WORDS, ENGLISH = tuple(_ZH.split()), tuple(_EN.split())
SPECS = ("500ml", "1L", "10只装", "大号", "小号", "")


def _names(rng: random.Random, n: int) -> tuple[str, str]:
    picked = rng.sample(range(len(WORDS)), 3)
    zh = "".join(WORDS[i] for i in picked) + rng.choice(SPECS) + f"{n % 97}型"
    en = " ".join(ENGLISH[i % len(ENGLISH)] for i in picked) + f" type {n % 97}"
    return zh, en


def _fill(db: Database, rng: random.Random) -> tuple[list[dict[str, object]], float]:
    rows: list[dict[str, object]] = []
    for n in range(PRODUCTS):
        zh, en = _names(rng, n)
        rows.append({"sku": f"SKU-{n:06d}", "name_zh": zh, "name_en": en, "base_unit": "pcs",
                     "purchase_price": Decimal(5), "sale_price": Decimal(9), "floor_price": Decimal(6),
                     "active": True, "allow_negative": False})
    started = time.perf_counter()
    for row in rows:
        row.update(search_values("product", row))
    spelled = time.perf_counter() - started
    with db.engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(Product), rows[start:start + CHUNK])
    return rows, spelled


def _typo(rng: random.Random, word: str) -> str:
    at = rng.randrange(4, len(word) - 1)
    return word[:at] + word[at + 1] + word[at] + word[at + 2:]  # two letters swapped, past the first four


def _queries(rng: random.Random, rows: list[dict[str, object]]) -> dict[str, list[str]]:
    picked = [rows[rng.randrange(PRODUCTS)] for _ in range(ROUNDS)]
    return {
        "sku": [str(r["sku"]) for r in picked],
        "name zh fragment": [str(r["name_zh"])[:5] for r in picked],
        "name zh 2 chars": [str(r["name_zh"])[2:4] for r in picked],
        "name en fragment": [" ".join(str(r["name_en"]).split()[:2])[:-1] for r in picked],
        "full pinyin": [spelling(str(r["name_zh"])).pinyin for r in picked],
        "initials": [spelling(str(r["name_zh"])).initials[:5] for r in picked],
        "typo": [_typo(rng, spelling(str(r["name_zh"])).pinyin) for r in picked],
        "unknown": [f"qqq{n}zzz" for n in range(ROUNDS)],
    }


def _resolve(db: Database, code: str) -> None:
    with contextlib.suppress(DomainError):  # several found (pick buttons) or none (the nearest): what chat shows
        db.uow.read(lambda tx: items_in(tx, [code]))


def _sku_lookup(db: Database) -> Callable[[str], None]:
    statement = select(Product.id).where(Product.sku == bindparam("sku"))

    def lookup(code: str) -> None:
        db.uow.read(lambda tx: tx.conn.execute(statement, {"sku": code}).scalar_one_or_none())

    return lookup


def _percentiles(action: Callable[[str], None], codes: list[str]) -> tuple[float, float]:
    times = []
    for code in codes:
        started = time.perf_counter()
        action(code)
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return statistics.median(times), cuts[98]


def main(backends: Sequence[Backend]) -> None:
    for backend in backends:
        with database(backend, "item_search") as db:
            rng = random.Random(12)
            rows, spelled = _fill(db, rng)
            print(f"item search {backend.name}: {PRODUCTS:,} products spelled (pinyin, initials) in {spelled:.1f} s",
                  flush=True)
            queries = _queries(rng, rows)
            plain = _sku_lookup(db)
            for code in queries["sku"][:20]:
                _resolve(db, code)  # warm the caches alike
            base50, base99 = _percentiles(plain, queries["sku"])
            print(f"item search {backend.name}: plain indexed SKU lookup p50 {base50:.2f} ms, p99 {base99:.2f} ms")
            for kind, codes in queries.items():
                p50, p99 = _percentiles(lambda code: _resolve(db, code), codes)
                print(f"item search {backend.name}: {kind:<17} p50 {p50:6.2f} ms, p99 {p99:6.2f} ms "
                      f"({p50 / base50:.0f}x the plain lookup)", flush=True)
