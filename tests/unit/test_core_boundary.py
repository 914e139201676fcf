"""core/ knows nothing of chat: no adapter library or bot module is imported anywhere in it."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"bot", "telegram", "wechatpy", "aiohttp", "apscheduler", "jinja2"}
CORE = Path(__file__).resolve().parents[2] / "core"


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_no_adapter_library() -> None:
    offenders = {
        str(path.relative_to(CORE.parent)): sorted(imported_roots(path) & FORBIDDEN)
        for path in CORE.rglob("*.py")
        if imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_the_boundary_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "leak.py"
    sample.write_text("import telegram\nfrom jinja2 import Template\nfrom core.models import Base\n")
    assert imported_roots(sample) & FORBIDDEN == {"telegram", "jinja2"}


def test_importing_core_has_no_side_effects() -> None:
    import subprocess
    import sys

    code = (
        "import sys, core.models, core.stock.moves, core.ledger.check, core.uow;"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
