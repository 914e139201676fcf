"""The composition root: builds the engine and the unit of work (and later the channels and server) from config."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Config
from core.db import create_db_engine
from core.uow import UnitOfWork


@dataclass(frozen=True)
class Books:
    """The database side of jxc, built once per process."""

    config: Config
    uow: UnitOfWork

    def close(self) -> None:
        self.uow.engine.dispose()


def build_books(config: Config) -> Books:
    """Engine and unit of work for the configured database."""
    engine = create_db_engine(
        config.database_url,
        echo=bool(config.get("database", "echo", False)),
        pool_size=int(config.get("database", "pool_size", 10)),
    )
    uow = UnitOfWork(engine, money_places=int(config.get("books", "money_places", 2)))
    return Books(config=config, uow=uow)
