"""Every conversation flow and the words that start them, in Chinese and English."""

from __future__ import annotations

from bot.engine.engine import describe
from bot.engine.flow import Command, Flow
from bot.flows.basics import HelpFlow, LanguageFlow, StockFlow

COMMANDS: tuple[Command, ...] = (
    Command("help", ("help", "帮助", "菜单", "menu", "?", "？"), "Help / 帮助"),
    Command("stock", ("stock", "库存", "查库存", "search", "搜索", "查找"), "Stock by SKU, barcode or name / 查库存"),
    Command("language", ("lang", "language", "语言"), "Language / 语言"),
)


def default_flows() -> list[Flow]:
    """One instance of every flow."""
    return [HelpFlow(describe(COMMANDS)), StockFlow(), LanguageFlow()]
