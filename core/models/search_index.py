"""The substring index of the products' searchable text, so that a search of 100,000 products takes milliseconds:
an FTS5 trigram table kept by triggers on SQLite, a pg_trgm GIN index on PostgreSQL (where the extension can be
had; without it the search scans). Either answers LIKE '%...%' for three characters or more."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

SQLITE_TABLE = "product_search"
PG_INDEX = "ix_product_search_trgm"
_INSERT_TRIGGER = (f"CREATE TRIGGER IF NOT EXISTS product_search_insert AFTER INSERT ON product BEGIN "
                   f"INSERT INTO {SQLITE_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END")
_SQLITE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(search_text, content='product', "
    "content_rowid='id', tokenize='trigram')",
    _INSERT_TRIGGER,
    f"CREATE TRIGGER IF NOT EXISTS product_search_delete AFTER DELETE ON product BEGIN "
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS product_search_update AFTER UPDATE OF search_text ON product BEGIN "
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {SQLITE_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')",
)
_OPCLASS_SCHEMA = text("SELECT n.nspname FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace "
                       "WHERE c.opcname = 'gin_trgm_ops' LIMIT 1")


def create_search_index(connection: Any) -> None:
    """Create the index (and fill it from the rows there are) if it is not there."""
    if connection.dialect.name == "sqlite":
        for statement in _SQLITE:
            connection.exec_driver_sql(statement)
        return
    schema = _trigram_schema(connection)
    if schema is not None:
        connection.execute(text(f'CREATE INDEX IF NOT EXISTS {PG_INDEX} ON product USING gin '
                                f'(search_text "{schema}".gin_trgm_ops)'))


@contextmanager
def bulk_insert(connection: Any, table: str) -> Iterator[Callable[[Sequence[int]], None]]:
    """For an import's many product rows: on SQLite the per-row trigger is set aside for the block (the import's
    transaction holds the only write lock; DDL is transactional) and the caller indexes the new rows with the
    function yielded, one statement for all of them. Elsewhere, and for other tables, nothing to do."""
    if table != "product" or connection.dialect.name != "sqlite" or not has_trigram_table(connection):
        yield lambda _ids: None
        return
    connection.exec_driver_sql("DROP TRIGGER IF EXISTS product_search_insert")
    try:
        yield lambda ids: _index_rows(connection, ids)
    finally:
        connection.exec_driver_sql(_INSERT_TRIGGER)


def _index_rows(connection: Any, ids: Sequence[int]) -> None:
    if ids:
        connection.exec_driver_sql(f"INSERT INTO {SQLITE_TABLE}(rowid, search_text) SELECT id, search_text "
                                   "FROM product WHERE id BETWEEN ? AND ?", (min(ids), max(ids)))


def drop_search_index(connection: Any) -> None:
    """Drop the index (the triggers go with the product table on SQLite)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
    else:
        connection.execute(text(f"DROP INDEX IF EXISTS {PG_INDEX}"))


def is_search_index(name: str | None) -> bool:
    """Whether a table or index is this index or part of it (not in the models' metadata)."""
    return bool(name) and (str(name) == PG_INDEX or str(name).startswith(SQLITE_TABLE))


def has_trigram_table(connection: Any) -> bool:
    """Whether the SQLite FTS5 trigram table is there to search through."""
    return connection.dialect.name == "sqlite" and connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name = ?", (SQLITE_TABLE,)).first() is not None


def _trigram_schema(connection: Any) -> str | None:
    """The schema of pg_trgm's operator class, the extension created (in public) if it can be; None without it."""
    found = connection.execute(_OPCLASS_SCHEMA).scalar()
    if found is not None:
        return str(found)
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except DBAPIError:
        return None
    found = connection.execute(_OPCLASS_SCHEMA).scalar()
    return None if found is None else str(found)
