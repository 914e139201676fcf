"""The README's configuration table names every key config.example.toml documents, and no other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_readme_config_table_and_config_example_toml_name_the_same_keys() -> None:
    example = tomllib.loads(ROOT.joinpath("config.example.toml").read_text(encoding="utf-8"))
    documented = {(section, key) for section, keys in example.items() for key in keys}
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    tabled = set(re.findall(r"^\| `\[(\w+)\] (\w+)` \|", readme, re.M))
    assert sorted(documented - tabled) == []
    assert sorted(tabled - documented) == []
