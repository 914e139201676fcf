"""Migrations: a fresh database upgraded by Alembic has exactly the schema the models describe."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from core.db import create_db_engine
from core.migrate import current_revision, head_revision, upgrade
from core.models import Base
from core.people.setup import bootstrap
from core.uow import UnitOfWork

SCHEMA = "jxc_migration_test"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new schema of the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    pg_url: str = request.getfixturevalue("pg_url")
    admin = create_db_engine(pg_url, pool_size=1)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    try:
        url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ix_product_lower_name_en.*")
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, Base.metadata))


def test_upgrading_an_empty_database_gives_exactly_the_models_schema(empty_url: str) -> None:
    engine = create_db_engine(empty_url, pool_size=1)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision(engine)
        assert differences(engine) == []
        uow = UnitOfWork(engine)
        for _ in range(2):  # what `jxc init` does, run twice
            assert upgrade(engine) == head_revision(engine)
            bootstrap(uow)
        with engine.connect() as connection:
            people = connection.execute(text("SELECT count(*) FROM employee")).scalar()
            transit = connection.execute(text("SELECT count(*) FROM warehouse WHERE kind = 'transit'")).scalar()
        assert (people, transit) == (1, 1)
    finally:
        engine.dispose()
