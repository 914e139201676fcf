"""The real `jxc` command, run as a process against a SQLite file: what an admin types and what comes back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def jxc(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    environ["PYTHONPATH"] = str(ROOT)
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300, check=False)


def test_init_seed_check_and_stock_on_a_fresh_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    init = jxc(tmp_path, "init", JXC_DATABASE_URL=url)
    assert init.returncode == 0, init.stderr
    assert "shop.db is at revision" in init.stdout

    seeded = jxc(tmp_path, "seed", "demo", "--products", "300", "--days", "6", JXC_DATABASE_URL=url)
    assert seeded.returncode == 0, seeded.stderr
    assert "catalogue: 300 of 300 products" in seeded.stdout
    assert "4 warehouses (+1 transit), 16 categories, 300 products, 300 barcodes" in seeded.stdout
    assert "10 suppliers, 30 customers, 9 employees (admin, finance, manager, purchaser, sales, warehouse)" \
        in seeded.stdout

    check = jxc(tmp_path, "check", JXC_DATABASE_URL=url)
    assert (check.returncode, check.stdout.splitlines()[-1]) == (0, "ledger OK: every running balance, level and "
                                                                     "average cost agrees with the ledger")

    stock = jxc(tmp_path, "stock", JXC_DATABASE_URL=url)
    assert stock.returncode == 0, stock.stderr
    rows = {line.split()[0]: line.split() for line in stock.stdout.splitlines()[1:]}
    assert set(rows) == {"SH", "BJ", "GZ", "QUARANTINE", "TRANSIT"}
    assert all(int(rows[code][-3]) > 50 for code in ("SH", "BJ", "GZ"))
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", rows[code][-2]) for code in rows), "whole units, grouped, no .0000"
    assert "上海总仓" in stock.stdout

    again = jxc(tmp_path, "seed", "demo", "--products", "300", JXC_DATABASE_URL=url)
    assert again.returncode == 2
    assert "refused: the database is not empty (300 products, 4 warehouses)" in again.stderr


def test_seeding_a_database_without_tables_is_refused_with_the_reason(tmp_path: Path) -> None:
    seeded = jxc(tmp_path, "seed", "demo", JXC_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    assert seeded.returncode == 2
    assert "refused: the database schema is older than this jxc (missing " in seeded.stderr
    assert "Traceback" not in seeded.stderr


def test_a_missing_config_file_is_refused_with_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    given = jxc(tmp_path, "--config", str(missing), "check")
    assert (given.returncode, given.stderr.strip()) == (2, f"config error: config file not found: {missing}")
    by_env = jxc(tmp_path, "check", JXC_CONFIG=str(missing))
    assert (by_env.returncode, by_env.stderr.strip()) == (2, f"config error: config file not found: {missing}")


def test_the_environment_overrides_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "jxc.toml").write_text(f'[database]\nurl = "sqlite:///{tmp_path / "from_file.db"}"\n',
                                       encoding="utf-8")
    from_file = jxc(tmp_path, "init")
    assert from_file.returncode == 0, from_file.stderr
    assert "from_file.db is at revision" in from_file.stdout
    from_env = jxc(tmp_path, "init", JXC_DATABASE_URL=f"sqlite:///{tmp_path / 'from_env.db'}")
    assert from_env.returncode == 0, from_env.stderr
    assert "from_env.db is at revision" in from_env.stdout
    assert (tmp_path / "from_file.db").exists() and (tmp_path / "from_env.db").exists()
    bad = jxc(tmp_path, "check", JXC_DATABASE_POOL_SIZE="many")
    assert (bad.returncode, bad.stderr.strip()) == (2, "config error: JXC_DATABASE_POOL_SIZE must be a whole number")


def test_config_is_taken_before_or_after_any_subcommand(tmp_path: Path) -> None:
    config = tmp_path / "books.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "books.db"}"\n', encoding="utf-8")
    init = jxc(tmp_path, "init", "--config", str(config))
    assert init.returncode == 0, init.stderr
    assert "books.db is at revision" in init.stdout
    for args in (("check", "--config", str(config)), ("--config", str(config), "stock"),
                 ("stock", "--config", str(config), "--as", "system"), ("token", "list", "--config", str(config))):
        done = jxc(tmp_path, *args)
        assert done.returncode == 0, (args, done.stderr)
    assert not (tmp_path / "jxc.db").exists()


def test_every_command_but_init_refuses_a_missing_database_in_one_line_and_creates_nothing(tmp_path: Path) -> None:
    for args in (("stock",), ("check",), ("token", "list"), ("report", "stock"), ("backup",)):
        done = jxc(tmp_path, *args)
        assert (done.returncode, done.stdout) == (2, ""), args
        assert done.stderr == ("sqlite:///jxc.db 还没有数据库：请先运行 `jxc init` 创建"
                               "（或用 --config、JXC_DATABASE_URL 指向已有的数据库）。\n"), args
    english = jxc(tmp_path, "stock", JXC_COMPANY_LANGUAGE="en")
    assert (english.returncode, english.stderr) == (2, "There is no database at sqlite:///jxc.db: create it with "
                                                       "`jxc init` (or point --config or JXC_DATABASE_URL at yours).\n")
    assert list(tmp_path.iterdir()) == []


def test_a_database_that_was_never_migrated_is_refused_with_how_to_migrate_it(tmp_path: Path) -> None:
    (tmp_path / "jxc.db").touch()
    for language, start, end in (
            ("en", "The database sqlite:///jxc.db is not migrated (missing ",
             " more): run `jxc init` to create or migrate it.\n"),
            ("zh_CN", "数据库 sqlite:///jxc.db 尚未建表或迁移（缺少 ", " 项）：请运行 `jxc init` 创建或迁移。\n")):
        done = jxc(tmp_path, "stock", JXC_COMPANY_LANGUAGE=language)
        assert done.returncode == 2
        assert done.stderr.startswith(start) and done.stderr.endswith(end), done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    init = jxc(tmp_path, "init")
    assert init.returncode == 0, init.stderr
    assert jxc(tmp_path, "stock").returncode == 0


def test_a_refusal_prints_the_sentence_the_chat_would_in_the_configured_language(tmp_path: Path) -> None:
    config = tmp_path / "jxc.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "books.db"}"\n[company]\nlanguage = "en"\n',
                      encoding="utf-8")
    assert jxc(tmp_path, "init").returncode == 0
    english = jxc(tmp_path, "report", "sales", "--period", "2026-13")
    assert (english.returncode, english.stderr) == (
        2, 'refused: "2026-13" is not a month or a day: type a month such as 2026-11, or days such as 2026-11-01.'
           " (invalid_filter)\n")
    chinese = jxc(tmp_path, "report", "sales", "--period", "2026-13", JXC_COMPANY_LANGUAGE="zh_CN")
    assert (chinese.returncode, chinese.stderr) == (
        2, "未执行：「2026-13」不是有效的月份或日期：请输入像 2026-11 这样的月份，或像 2026-11-01 这样的日期。"
           "（invalid_filter）\n")
    nobody = jxc(tmp_path, "stock", "--as", "nobody")
    assert (nobody.returncode, nobody.stderr) == (2, 'refused: No employee "nobody". (unknown_employee)\n')


def test_a_postgresql_server_that_cannot_be_reached_is_named_in_one_line(tmp_path: Path) -> None:
    done = jxc(tmp_path, "check", JXC_DATABASE_URL="postgresql://shop:secret@127.0.0.1:1/books",
               JXC_COMPANY_LANGUAGE="en")
    assert done.returncode == 2
    assert done.stderr.startswith("Cannot open the database postgresql://shop:***@127.0.0.1:1/books: ")
    assert done.stderr.count("\n") == 1 and "secret" not in done.stderr and "Traceback" not in done.stderr
