"""Migrations: a fresh database upgraded by Alembic has exactly the schema the models describe."""

from __future__ import annotations

import os
import subprocess
import sys
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

ROOT = Path(__file__).resolve().parents[2]
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
        assert upgrade(engine) == head_revision(engine)
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_jxc_init_run_twice_on_an_empty_database_succeeds_both_times(empty_url: str, tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    environ.update(PYTHONPATH=str(ROOT), JXC_DATABASE_URL=empty_url)
    for _ in range(2):
        init = subprocess.run([sys.executable, "-m", "bot.cli", "init"], cwd=tmp_path, env=environ,
                              capture_output=True, text=True, timeout=300, check=False)
        assert init.returncode == 0, init.stderr
        assert "is at revision" in init.stdout
    engine = create_db_engine(empty_url, pool_size=1)
    try:
        with engine.connect() as connection:
            people = connection.execute(text("SELECT count(*) FROM employee")).scalar()
            transit = connection.execute(text("SELECT count(*) FROM warehouse WHERE kind = 'transit'")).scalar()
        assert (people, transit) == (1, 1)
    finally:
        engine.dispose()
