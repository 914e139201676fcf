"""core/ knows nothing of chat: no adapter library or bot module is imported anywhere in it; and the adapters only
translate: no flow or channel reaches the models or the database itself."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"bot", "telegram", "wechatpy", "aiohttp", "apscheduler", "jinja2"}
ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
ADAPTERS = (ROOT / "bot" / "flows", ROOT / "bot" / "channels")
QUERYING = ("core.models", "sqlalchemy")


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


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return modules


def querying(path: Path) -> list[str]:
    modules = imported_modules(path)
    return [q for q in QUERYING if any(m == q or m.startswith(f"{q}.") for m in modules)]


def test_flows_and_channels_import_neither_the_models_nor_sqlalchemy() -> None:
    offenders = {
        str(path.relative_to(ROOT)): querying(path)
        for folder in ADAPTERS
        for path in folder.rglob("*.py")
        if querying(path)
    }
    assert offenders == {}


def test_the_adapter_check_sees_a_query_import(tmp_path: Path) -> None:
    leak, clean, aside = tmp_path / "leak.py", tmp_path / "clean.py", tmp_path / "aside.py"
    leak.write_text("import sqlalchemy.orm\nfrom core.models import Product\n")
    aside.write_text("from core import models\n")
    clean.write_text("from core.modelsx import y\nfrom core.partners.customers import find_customers\n")
    assert querying(leak) == ["core.models", "sqlalchemy"]
    assert querying(aside) == ["core.models"]
    assert querying(clean) == []


def test_importing_core_has_no_side_effects() -> None:
    import subprocess
    import sys

    code = (
        "import sys, core.models, core.stock.moves, core.ledger.check, core.uow;"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
