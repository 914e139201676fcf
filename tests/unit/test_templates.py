"""Templates live in a folder per flow (templates/<lang>/<flow>/) but are named by file name alone: one name, one
file, in every language."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.engine.texts import LANGUAGES, TEMPLATES, Texts, template_folders


def names(lang: str) -> Counter[str]:
    folders = [Path(f) for f in template_folders(TEMPLATES / lang)]
    return Counter(path.name for folder in folders for path in folder.glob("*.j2"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_two_flow_folders_hold_a_template_of_the_same_name(lang: str) -> None:
    assert [name for name, count in names(lang).items() if count > 1] == []


def test_every_language_has_the_same_templates() -> None:
    assert set(names("zh_CN")) == set(names("en"))


def test_templates_sit_in_flow_folders_not_loose_in_the_language_folder() -> None:
    assert sorted(p.name for lang in LANGUAGES for p in (TEMPLATES / lang).glob("*.j2")) == []


def test_a_template_in_a_flow_folder_is_found_by_its_name_alone() -> None:
    texts = Texts()
    assert texts.render("en", "po_no_lines") == (TEMPLATES / "en" / "purchasing" / "po_no_lines.j2").read_text(
        encoding="utf-8").strip()
