"""Configuration: a TOML file, overridden by JXC_<SECTION>_<KEY> environment variables."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULTS: dict[str, dict[str, Any]] = {
    "database": {"url": "sqlite:///jxc.db", "echo": False, "pool_size": 10},
    "books": {"money_places": 2, "currency": "CNY", "undo_minutes": 10, "stocktake_approval_value": "1000",
              "over_receipt_percent": "5", "absurd_quantity_multiple": "10"},
    "company": {"name": "jxc", "timezone": "Asia/Shanghai", "language": "zh_CN", "tax_id": "", "address": "",
                "phone": "", "bank_account": "", "logo": ""},
    "documents": {"layout": "a4", "hide_columns": (), "font": "", "printer": "", "printer_timeout": 5},
}
# Amounts that may be written as whole numbers in the file but as decimals in the environment (kept as text).
DECIMAL_KEYS = frozenset({("books", "stocktake_approval_value"), ("books", "over_receipt_percent"),
                          ("books", "absurd_quantity_multiple"), ("books", "default_vat_rate")})
SECRET_WORDS = ("secret", "token", "password", "aes_key", "key")
URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


class ConfigError(Exception):
    """The configuration cannot be read or has a value of the wrong kind."""


@dataclass(frozen=True)
class Config:
    """Sections of settings, each a mapping of key to value."""

    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    def get(self, section: str, key: str, default: Any = None) -> Any:
        """One setting, or `default` when neither file, environment nor defaults set it."""
        return self.sections.get(section, {}).get(key, default)

    def section(self, section: str) -> Mapping[str, Any]:
        """All settings of one section."""
        return self.sections.get(section, {})

    @property
    def database_url(self) -> str:
        return str(self.get("database", "url"))

    def redacted(self) -> dict[str, dict[str, Any]]:
        """The settings with every secret replaced, safe to log or print."""
        return {
            name: {key: "***" if is_secret(key) else _without_password(value) for key, value in values.items()}
            for name, values in self.sections.items()
        }


@dataclass(frozen=True)
class BookRules:
    """[books] rules the services read on the transaction (tx.rules): how long a posting may be undone, the
    stocktake variance value above which a manager approves, and how far a purchase receipt may exceed the ordered
    quantity; and how many times the most ever held or ordered of a product makes an entered quantity absurd (the
    person is asked whether they are sure); the company's zone, in which dates of prices are days; whether sales
    prices are entered with VAT included (含税价) or without, and the VAT rate (percent) of a product whose own and
    whose category's rate are not set."""

    undo_window: timedelta = timedelta(minutes=10)
    stocktake_approval_value: Decimal = Decimal(1000)
    over_receipt_percent: Decimal = Decimal(5)
    absurd_quantity_multiple: Decimal = Decimal(10)
    timezone: str = "Asia/Shanghai"
    prices_include_tax: bool = True
    default_vat_rate: Decimal = Decimal(0)

    @property
    def undo_minutes(self) -> int:
        return int(self.undo_window.total_seconds() // 60)


def book_rules(config: Config) -> BookRules:
    """The [books] rules, checked: whole minutes of at least 1, amounts and percentages of at least 0."""
    minutes = config.get("books", "undo_minutes", 10)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise ConfigError(f"[books] undo_minutes must be a whole number of minutes, at least 1, not {minutes!r}")
    multiple = _non_negative(config, "absurd_quantity_multiple", "10")
    if multiple < 1:
        raise ConfigError(f"[books] absurd_quantity_multiple must be a number of at least 1, not {multiple}")
    return BookRules(timedelta(minutes=minutes),
                     _non_negative(config, "stocktake_approval_value", "1000"),
                     _non_negative(config, "over_receipt_percent", "5"), multiple,
                     _zone(config), _flag(config, "prices_include_tax", True), _vat(config))


def _flag(config: Config, key: str, default: bool) -> bool:
    value = config.get("books", key, default)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    if not isinstance(value, bool):
        raise ConfigError(f"[books] {key} must be true or false, not {value!r}")
    return value


def _vat(config: Config) -> Decimal:
    rate = _non_negative(config, "default_vat_rate", "0")
    if rate > 100:
        raise ConfigError(f"[books] default_vat_rate is a percentage of at most 100, not {rate}")
    return rate


def _zone(config: Config) -> str:
    """[company] timezone, the zone in which price rules' dates and quotations' validity are days."""
    name = str(config.get("company", "timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(f"[company] timezone must be a zone such as Asia/Shanghai, not {name!r}") from error
    return name


def _non_negative(config: Config, key: str, default: str) -> Decimal:
    raw = config.get("books", key, default)
    try:
        value = Decimal(str(raw)) if not isinstance(raw, bool) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise ConfigError(f"[books] {key} must be a number of at least 0, not {raw!r}")
    return value


def is_secret(key: str) -> bool:
    """True for keys whose values must never be logged."""
    return any(word in key.lower() for word in SECRET_WORDS)


def _without_password(value: Any) -> Any:
    """A URL such as postgresql://user:password@host/db with the password replaced."""
    if not isinstance(value, str):
        return value
    return URL_PASSWORD.sub(r"\1***@", value)


def config_path(explicit: str | None, environ: Mapping[str, str]) -> Path:
    """The file to read: the given path, else $JXC_CONFIG, else jxc.toml in the current directory."""
    return Path(explicit or environ.get("JXC_CONFIG") or "jxc.toml")


def load_config(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the file when it exists (a missing explicit file is an error), then the environment."""
    environ = os.environ if environ is None else environ
    path = config_path(explicit, environ)
    merged: dict[str, dict[str, Any]] = {name: dict(values) for name, values in DEFAULTS.items()}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: {error}") from error
        for name, values in data.items():
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: [{name}] must be a table")
            merged.setdefault(name, {}).update(values)
    elif explicit or environ.get("JXC_CONFIG"):
        raise ConfigError(f"config file not found: {path}")
    _apply_environment(merged, environ)
    return Config(sections=merged, path=path if path.exists() else None)


def _apply_environment(merged: dict[str, dict[str, Any]], environ: Mapping[str, str]) -> None:
    for name, raw in environ.items():
        if not name.startswith("JXC_") or name == "JXC_CONFIG" or name.startswith("JXC_TEST_"):
            continue
        parts = name[4:].lower().split("_", 1)
        if len(parts) != 2:
            continue
        section, key = parts
        current = merged.get(section, {}).get(key)
        merged.setdefault(section, {})[key] = raw if (section, key) in DECIMAL_KEYS else _coerce(raw, current, name)


def _coerce(raw: str, current: Any, name: str) -> Any:
    if isinstance(current, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false")
    if isinstance(current, int):
        try:
            return int(raw)
        except ValueError as error:
            raise ConfigError(f"{name} must be a whole number") from error
    return raw
