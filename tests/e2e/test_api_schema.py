"""Schemathesis against /api/v1/openapi.json on the live server, on SQLite and PostgreSQL, with a token of every
role: generated requests never get a 5xx, every answer matches the document (status codes, content type, body
schema), and malformed requests are refused. Bounded: a dozen examples per operation and backend."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import make_url

from bot.api.openapi import document
from bot.composition import build_app_parts
from bot.server import build_app, make_runner
from core.config import Config
from core.db import create_db_engine
from core.models import Base
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.people.tokens import create_token
from core.permissions import ROLES, WAREHOUSE_SCOPED_ROLES
from core.uow import UnitOfWork
from tests.conftest import PG_URL, REQUIRE_PG, _on_server, _worker_pg_url
from tests.factories import make_shop

schema = schemathesis.openapi.from_dict(document())


class LiveServer:
    """The composition root's server on its own event loop in a thread, on a small shop in SQLite."""

    def __init__(self, url: str) -> None:
        engine = create_db_engine(url)
        Base.metadata.create_all(engine)
        uow = UnitOfWork(engine)
        bootstrap(uow)
        admin = load_actor(uow, "system")
        make_shop(uow, admin)
        self.tokens = {role: create_token(uow, admin, f"schemathesis-{role}", role,
                                          ("MAIN",) if role in WAREHOUSE_SCOPED_ROLES else ()).secret
                       for role in ROLES}
        engine.dispose()
        self.config = Config(sections={"database": {"url": url}, "api": {"rate_per_minute": 0}})
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.base_url = ""
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = make_runner(build_app(build_app_parts(self.config)))
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1"
        self.runner = runner
        self.started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def __enter__(self) -> LiveServer:
        self.thread.start()
        assert self.started.wait(30)
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


def _own_pg_database() -> str:
    """A PostgreSQL database of this module's own beside the worker's (other tests truncate theirs meanwhile)."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("JXC_TEST_REQUIRE_PG=1 but JXC_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL tests need JXC_TEST_PG_URL")
    url = make_url(_worker_pg_url())
    name = f"{url.database}_schema"
    _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _on_server(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('api')) / 'jxc.db'}"
    else:
        url = _own_pg_database()
    with LiveServer(url) as server:
        yield server
    if request.param == "postgresql":
        _on_server(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_by_its_document_and_never_with_a_server_error(
        case: schemathesis.Case, role: str, live: LiveServer) -> None:
    # a well-formed request may still be refused by the books (unknown SKU, out of stock) or the role: 4xx, never 5xx
    case.call_and_validate(base_url=live.base_url, headers={"Authorization": f"Bearer {live.tokens[role]}"},
                           excluded_checks=[positive_data_acceptance])
