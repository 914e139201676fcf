"""`jxc backup` and `jxc restore`: SQLite through the online backup API (consistent while writes go on),
PostgreSQL through pg_dump / pg_restore in custom format with the password in PGPASSWORD only."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import URL, create_engine, inspect, text
from sqlalchemy.engine import make_url

from core.config import Config

PG_BIN = "/usr/lib/postgresql/15/bin"


class RestoreRefused(Exception):
    """The target database already holds data and --force was not given."""


def _url(config_or_url: Config | str | URL) -> URL:
    if isinstance(config_or_url, URL):
        return config_or_url
    return make_url(config_or_url if isinstance(config_or_url, str) else config_or_url.database_url)


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: version 15 from the PostgreSQL install when present, else the one on PATH."""
    candidate = Path(PG_BIN) / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name) or name


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options without the password, and an environment carrying it."""
    env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else dict(os.environ)
    args = ["--dbname", str(url.database or "")]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return [*args, "--no-password"], env


def default_backup_path(url: URL, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(f"jxc-{stamp}.{'sqlite3' if url.get_backend_name() == 'sqlite' else 'dump'}")


def backup_database(config: Config | str, path: str | Path | None = None) -> Path:
    """A consistent copy of the configured database at `path` (written to a .partial file, then renamed)."""
    url = _url(config)
    target = Path(path) if path else default_backup_path(url)
    if target.is_dir() or str(path).endswith(("/", os.sep)):
        target = target / default_backup_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("an in-memory SQLite database cannot be backed up")
        source = sqlite3.connect(url.database, timeout=30)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # the online backup API: a consistent snapshot while others write
        finally:
            copy.close()
            source.close()
    else:
        args, env = _pg_args(url)
        subprocess.run([pg_tool("pg_dump"), "--format=custom", "--file", str(partial), *args],
                       check=True, env=env, timeout=3600, capture_output=True)
    os.replace(partial, target)
    return target


def database_is_empty(config: Config | str | URL) -> bool:
    """True when the database has no tables, or none of its catalogue and ledger tables holds a row."""
    url = _url(config)
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            for table in ("product", "stock_move", "stock_document", "warehouse", "customer", "supplier"):
                if table in tables and connection.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first():
                    return False
        return True
    finally:
        engine.dispose()


def restore_database(config: Config | str, path: str | Path, *, force: bool = False) -> None:
    """Put a backup made by backup_database into the configured database; refuses a non-empty one unless forced."""
    url = _url(config)
    source_path = Path(path)
    if not source_path.is_file():
        raise FileNotFoundError(str(source_path))
    if not force and not database_is_empty(url):
        raise RestoreRefused(url.render_as_string(hide_password=True))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("cannot restore into an in-memory SQLite database")
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        target = sqlite3.connect(url.database, timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    args, env = _pg_args(url)
    result = subprocess.run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                             *args, str(source_path)], env=env, timeout=3600, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"pg_restore failed: {result.stderr.strip()[-2000:]}")
