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

from bot.cli import main
from core.db import create_db_engine
from core.migrate import current_revision, head_revision, schema_problem, upgrade
from core.models import Base
from core.models.search_index import is_search_index
from core.people.setup import bootstrap
from core.uow import UnitOfWork

SCHEMA = "jxc_migration_test"


def not_search_index(_object: object, name: str | None, _type: str, _reflected: bool, _compare_to: object) -> bool:
    """The substring index of products (FTS5 tables, a pg_trgm index) is made by DDL, outside the metadata."""
    return not is_search_index(name)


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
        warnings.filterwarnings("ignore", message=".*ux_(stock_move|purchase_receipt|stocktake)_line_lot.*")
        context = MigrationContext.configure(connection, opts={"include_object": not_search_index})
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


def test_an_empty_database_is_refused_as_not_migrated_until_jxc_init_migrates_it(
        empty_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "jxc.toml"
    config.write_text(f'[database]\nurl = "{empty_url}"\n[company]\nlanguage = "en"\n', encoding="utf-8")
    engine = create_db_engine(empty_url, pool_size=1)
    try:
        problem = schema_problem(engine)
        assert problem is not None and "employee" in problem.missing
        assert problem.file_missing == (engine.dialect.name == "sqlite")
        assert main(["stock", "--config", str(config)]) == 2
        said = capsys.readouterr().err
        how = ("create it with `jxc init` (or point --config or JXC_DATABASE_URL at yours)." if problem.file_missing
               else "run `jxc init` to create or migrate it.")
        assert said.count("\n") == 1 and said.endswith(f": {how}\n"), said
        assert main(["init", "--config", str(config)]) == 0
        assert schema_problem(engine) is None
        assert main(["stock", "--config", str(config)]) == 0
    finally:
        engine.dispose()


def test_files_older_versions_left_base64_in_inbox_rows_move_to_inbound_file_or_are_dropped(empty_url: str) -> None:
    import base64
    import json

    from alembic import command

    from core.migrate import alembic_config

    engine = create_db_engine(empty_url, pool_size=1)
    try:
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0005_push")
            for n, status in ((1, "received"), (2, "replied"), (3, "received")):
                payload = {"text": None, "file_name": f"f{n}.csv", "display_name": "",
                           "file_content_b64": base64.b64encode(f"sku,{n}\n".encode()).decode() if n < 3 else None}
                connection.execute(text(
                    "INSERT INTO inbox_message (id, channel, external_id, chat_id, user_id, payload, status, attempts,"
                    " received_at) VALUES (:id, 'telegram', :e, '1', '1', :p, :s, 0, CURRENT_TIMESTAMP)"),
                    {"id": n, "e": str(n), "p": json.dumps(payload), "s": status})
        assert upgrade(engine) == head_revision(engine)
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT inbox_id, content FROM inbound_file")).all()
            payloads = [p if isinstance(p, dict) else json.loads(p) for p in connection.execute(
                text("SELECT payload FROM inbox_message ORDER BY id")).scalars()]
        assert [(i, bytes(c)) for i, c in kept] == [(1, b"sku,1\n")], "the waiting update keeps its file"
        assert [("file_content_b64" in p, p["file_name"]) for p in payloads] == [
            (False, "f1.csv"), (False, "f2.csv"), (False, "f3.csv")], "no row holds base64 any more"
    finally:
        engine.dispose()
