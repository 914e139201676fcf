"""Configuration: defaults, a TOML file, environment overrides with types, and secrets kept out of logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, is_secret, load_config


def write(tmp_path: Path, text: str, name: str = "jxc.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_file_the_defaults_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.path is None
    assert config.database_url == "sqlite:///jxc.db"
    assert config.get("books", "money_places") == 2
    assert config.get("company", "timezone") == "Asia/Shanghai"
    assert config.get("nowhere", "nothing", "fallback") == "fallback"


def test_the_file_overrides_defaults_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///shop.db"\n\n[telegram]\ntoken = "123:abc"\n')
    config = load_config(str(path), environ={})
    assert config.path == path
    assert config.database_url == "sqlite:///shop.db"
    assert config.get("database", "pool_size") == 10
    assert config.section("telegram") == {"token": "123:abc"}


def test_jxc_config_names_the_file_when_no_path_is_given(tmp_path: Path) -> None:
    path = write(tmp_path, "[books]\nmoney_places = 3\n", "elsewhere.toml")
    assert load_config(environ={"JXC_CONFIG": str(path)}).get("books", "money_places") == 3


def test_environment_variables_override_the_file_with_the_file_types(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///shop.db"\necho = false\n')
    config = load_config(str(path), environ={
        "JXC_DATABASE_URL": "postgresql://jxc:pw@db/jxc", "JXC_DATABASE_ECHO": "yes",
        "JXC_DATABASE_POOL_SIZE": "25", "JXC_BOOKS_MONEY_PLACES": "4", "JXC_WECOM_AES_KEY": "k",
        "JXC_TEST_PG_URL": "postgresql://ignored", "JXC_NOSECTION": "x", "PATH": "/bin",
    })
    assert config.database_url == "postgresql://jxc:pw@db/jxc"
    assert config.get("database", "echo") is True
    assert config.get("database", "pool_size") == 25
    assert config.get("books", "money_places") == 4
    assert config.get("wecom", "aes_key") == "k"
    assert "test" not in config.sections and "nosection" not in config.sections


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("JXC_DATABASE_ECHO", "maybe", "true or false"), ("JXC_DATABASE_POOL_SIZE", "ten", "whole number"),
     ("JXC_BOOKS_MONEY_PLACES", "2.5", "whole number")],
)
def test_an_environment_value_of_the_wrong_type_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=message):
        load_config(environ={name: value})


def test_false_words_turn_a_flag_off(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\necho = true\n")
    for word in ("0", "false", "No", "OFF"):
        assert load_config(str(path), environ={"JXC_DATABASE_ECHO": word}).get("database", "echo") is False


def test_a_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "missing.toml"), environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(environ={"JXC_CONFIG": str(tmp_path / "missing.toml")})


def test_a_broken_file_is_an_error_naming_it(tmp_path: Path) -> None:
    broken = write(tmp_path, "[database\nurl = 1\n")
    with pytest.raises(ConfigError, match=r"jxc\.toml"):
        load_config(str(broken), environ={})
    not_a_table = write(tmp_path, 'database = "sqlite://"\n', "flat.toml")
    with pytest.raises(ConfigError, match="must be a table"):
        load_config(str(not_a_table), environ={})


def test_redacted_hides_every_secret_and_nothing_else(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "123:abc"\nwebhook_secret = "s3"\n\n[wecom]\naes_key = "k"\n'
                 'corp_id = "ww1"\n\n[database]\npassword = "pw"\n')
    redacted = load_config(str(path), environ={"JXC_WECOM_SECRET": "env-secret"}).redacted()
    assert redacted["telegram"] == {"token": "***", "webhook_secret": "***"}
    assert redacted["wecom"] == {"aes_key": "***", "corp_id": "ww1", "secret": "***"}
    assert redacted["database"]["password"] == "***"
    assert redacted["database"]["url"] == "sqlite:///jxc.db"
    for secret in ("123:abc", "s3", "env-secret", "pw"):
        assert secret not in repr(redacted)
    assert is_secret("API_KEY") and not is_secret("timezone")


def test_redacted_hides_a_password_inside_a_database_url(tmp_path: Path) -> None:
    environ = {"JXC_DATABASE_URL": "postgresql://jxc:s3cr3t@db.internal:5432/jxc"}
    redacted = load_config(str(write(tmp_path, "")), environ=environ).redacted()
    assert redacted["database"]["url"] == "postgresql://jxc:***@db.internal:5432/jxc"
    without = load_config(str(write(tmp_path, "")), environ={"JXC_DATABASE_URL": "postgresql://jxc@db/jxc"})
    assert without.redacted()["database"]["url"] == "postgresql://jxc@db/jxc"
