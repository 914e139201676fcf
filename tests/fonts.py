"""Tests that print or draw Chinese need a CJK font on the machine (.ci/run installs Debian's fonts-wqy-microhei):
without one they are skipped, unless JXC_TEST_REQUIRE_FONT=1 (CI), where that is a failure."""

from __future__ import annotations

import os

import pytest

from bot.documents.settings import DocumentSettings, FontMissing


def require_cjk_font() -> None:
    """Skip the importing test module when no CJK font is found (fail instead under JXC_TEST_REQUIRE_FONT=1)."""
    try:
        DocumentSettings().font_file()
    except FontMissing:
        if os.environ.get("JXC_TEST_REQUIRE_FONT") == "1":
            pytest.fail("JXC_TEST_REQUIRE_FONT=1 but no CJK font is installed (fonts-wqy-microhei)", pytrace=False)
        pytest.skip("no CJK font installed: Debian's fonts-wqy-microhei", allow_module_level=True)
