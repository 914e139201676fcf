"""API orders: sales orders created (and submitted, stock reserved) per second through the REST API — HTTP,
bearer token, Idempotency-Key, JSON — against the same core services called directly, in the same run.

Both sides create the same orders (two lines each) with the same concurrency: CLIENTS aiohttp clients against
our server (composition root, in this process) versus CLIENTS threads calling create + submit in one
transaction, as the API does. Rounds alternate which side goes first; medians are compared.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from benchmarks.common import Backend, Database, add_products, database, median
from bot.composition import build_app_parts
from bot.server import build_app, make_runner
from core.config import Config
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import load_actor
from core.people.tokens import create_token
from core.permissions import Actor
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock

ORDERS = 160
CLIENTS = 8
ROUNDS = 3
PRODUCTS = 20


@dataclass(frozen=True)
class Result:
    backend: str
    api: float
    direct: float

    @property
    def ratio(self) -> float:
        return self.api / self.direct


def _lines(n: int, skus: Sequence[str]) -> list[tuple[str, str]]:
    return [(skus[n % len(skus)], "1"), (skus[(n * 7 + 3) % len(skus)], "2")]


def measure(backend: Backend) -> Result:
    with database(backend, "api_orders", pool_size=CLIENTS + 2) as db:  # the same pool as the server's
        skus = add_products(db, "API", PRODUCTS)
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, "1000000", "1") for s in skus])
        secret = create_token(db.uow, db.admin, "bench-shop", "sales").secret
        seller = load_actor(db.uow, "api:bench-shop", channel="api")
        create_customer(db.uow, db.admin, NewCustomer("WEB", "Online shop", salesperson="api:bench-shop"))
        return asyncio.run(_rounds(db, backend.name, secret, seller, skus))


async def _rounds(db: Database, backend: str, secret: str, seller: Actor, skus: list[str]) -> Result:
    url = db.engine.url.render_as_string(hide_password=False)
    parts = build_app_parts(Config(sections={"database": {"url": url, "pool_size": CLIENTS + 2},
                                             "api": {"rate_per_minute": 0}}))
    runner = make_runner(build_app(parts))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1"
    keys = itertools.count()
    api_rates: list[float] = []
    direct_rates: list[float] = []
    pool = ThreadPoolExecutor(CLIENTS)
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {secret}"}) as http:
            async def through_api() -> float:
                todo = iter(range(ORDERS))

                async def client() -> None:
                    for n in todo:
                        body = {"customer": "WEB", "warehouse": "MAIN",
                                "lines": [{"sku": s, "qty": q} for s, q in _lines(n, skus)]}
                        headers = {"Idempotency-Key": f"bench-{next(keys)}"}
                        async with http.post(f"{base}/sales-orders", json=body, headers=headers) as response:
                            assert response.status == 201, await response.text()
                            await response.read()

                start = time.perf_counter()
                await asyncio.gather(*[client() for _ in range(CLIENTS)])
                return ORDERS / (time.perf_counter() - start)

            def one(n: int) -> None:
                lines = [SalesLineIn(s, q) for s, q in _lines(n, skus)]

                def work(_tx: object) -> object:
                    draft = create_sales_order(db.uow, seller, "WEB", "MAIN", lines, channel="api")
                    return submit_sales_order(db.uow, seller, draft.number)

                db.uow.run(work)

            def directly() -> float:
                start = time.perf_counter()
                list(pool.map(one, range(ORDERS)))
                return ORDERS / (time.perf_counter() - start)

            await through_api()  # warm up both paths
            directly()
            for n in range(ROUNDS):
                if n % 2 == 0:
                    api_rates.append(await through_api())
                    direct_rates.append(await asyncio.to_thread(directly))
                else:
                    direct_rates.append(await asyncio.to_thread(directly))
                    api_rates.append(await through_api())
    finally:
        pool.shutdown()
        await runner.cleanup()
    return Result(backend, median(api_rates), median(direct_rates))


def report(result: Result) -> str:
    return (f"api_orders {result.backend}: {result.api:.0f} orders/s through the API "
            f"({CLIENTS} clients, Idempotency-Key), {result.direct:.0f} orders/s calling the services "
            f"({CLIENTS} threads); ratio {result.ratio:.2f}")


def main(backends: Sequence[Backend]) -> None:
    results = []
    for backend in backends:
        results.append(measure(backend))
        print(report(results[-1]), flush=True)
    print("api orders (through the REST API / core services directly, goal >= 0.6): "
          + ", ".join(f"{r.backend} {r.ratio:.2f}" for r in results))
