"""The `jxc` argument parser and the no-connection schema check: --config anywhere, a missing SQLite file seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import parser
from core.db import create_db_engine
from core.migrate import schema_problem, sqlite_file_missing


@pytest.mark.parametrize("argv", [
    ["--config", "shop.toml", "init"], ["init", "--config", "shop.toml"], ["seed", "demo", "--config", "shop.toml"],
    ["token", "list", "--config", "shop.toml"], ["report", "stock", "--config", "shop.toml"],
    ["webhook", "list", "--config", "shop.toml"], ["login-link", "王芳", "--config", "shop.toml"],
])
def test_config_is_taken_before_or_after_the_subcommand(argv: list[str]) -> None:
    assert parser().parse_args(argv).config == "shop.toml"


def test_without_config_none_is_given_and_the_later_one_wins() -> None:
    assert parser().parse_args(["stock"]).config is None
    assert parser().parse_args(["--config", "a.toml", "stock", "--config", "b.toml"]).config == "b.toml"


def test_a_missing_sqlite_file_is_seen_without_creating_it(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'none.db'}")
    try:
        problem = schema_problem(engine)
        assert problem is not None and problem.file_missing and "stock_move" in problem.missing
        assert not (tmp_path / "none.db").exists()
    finally:
        engine.dispose()
    assert not sqlite_file_missing(create_db_engine("sqlite://"))


def test_a_count_on_the_command_line_takes_a_comma_only_between_thousands(capsys: pytest.CaptureFixture[str]) -> None:
    assert parser().parse_args(["seed", "demo", "--products", "1,500"]).products == 1500
    with pytest.raises(SystemExit):
        parser().parse_args(["seed", "demo", "--products", "1,5"])
    assert "'1,5' is not a whole number (a comma only groups thousands: 1,500)" in capsys.readouterr().err
