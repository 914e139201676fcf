"""Creating and migrating the database schema with Alembic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from core.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> AlembicConfig:
    """An Alembic configuration pointing at jxc's migrations."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> str | None:
    """Bring the database to the newest schema; returns the revision it is at."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, None when it has none."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """The newest revision jxc knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def autogenerate(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database (developers only)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


@dataclass(frozen=True)
class SchemaProblem:
    """Why a database cannot be used yet: its SQLite file is missing, or tables or columns are (not migrated);
    `missing` names what it lacks (every table when there is no file)."""

    database: str
    file_missing: bool
    missing: tuple[str, ...] = ()


def missing_schema(engine: Engine) -> list[str]:
    """Tables and columns of the models that the database lacks (its migrations are older than the code)."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    missing = []
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            missing.append(table.name)
            continue
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in columns]
    return missing


def sqlite_file_missing(engine: Engine) -> bool:
    """True for a SQLite file that does not exist yet (connecting would create it empty)."""
    name = engine.url.database
    if engine.dialect.name != "sqlite" or name in (None, "", ":memory:") or name.startswith("file:"):
        return False
    return not Path(name).exists()


def schema_problem(engine: Engine) -> SchemaProblem | None:
    """None when the database has every table and column of the models; never creates a SQLite file."""
    database = engine.url.render_as_string(hide_password=True)
    if sqlite_file_missing(engine):
        return SchemaProblem(database, file_missing=True, missing=tuple(t.name for t in Base.metadata.sorted_tables))
    missing = missing_schema(engine)
    return SchemaProblem(database, file_missing=False, missing=tuple(missing)) if missing else None
