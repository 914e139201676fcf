"""`jxc item-link CODE`: the links a label prints, from the real command against a SQLite file."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import jxc


def test_item_link_prints_the_browser_and_telegram_links_and_refuses_an_unknown_code(tmp_path: Path) -> None:
    config = tmp_path / "jxc.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "books.db"}"\n[company]\nlanguage = "en"\n'
                      '[server]\npublic_url = "https://shop.example/"\n[telegram]\nbot_username = "@jxc_bot"\n',
                      encoding="utf-8")
    assert jxc(tmp_path, "init").returncode == 0
    assert jxc(tmp_path, "seed", "demo", "--products", "20", "--days", "1").returncode == 0
    sku = jxc(tmp_path, "export", "products", "--out", str(tmp_path / "p.csv"))
    assert sku.returncode == 0, sku.stderr
    first = (tmp_path / "p.csv").read_text(encoding="utf-8-sig").splitlines()[1].split(",")
    code, barcode = first[0], first[-1]
    by_sku = jxc(tmp_path, "item-link", code)
    assert by_sku.returncode == 0, by_sku.stderr
    assert by_sku.stdout.splitlines() == [f"browser: https://shop.example/i/{code}",
                                          f"telegram: https://t.me/jxc_bot?start=item_{code}"]
    assert jxc(tmp_path, "item-link", barcode).stdout == by_sku.stdout, "a barcode names the same item"
    unknown = jxc(tmp_path, "item-link", "NOPE-404")
    assert (unknown.returncode, unknown.stderr.splitlines()[0][:25]) == (2, 'refused: No product "NOPE')
