"""Every conversation flow and the words that start them, in Chinese and English."""

from __future__ import annotations

from bot.documents import Printer
from bot.engine.engine import describe
from bot.engine.flow import Command, Flow
from bot.flows.admin import InviteFlow, LoginLinkFlow
from bot.flows.approvals import ApprovalsFlow
from bot.flows.basics import HelpFlow, LanguageFlow, StockFlow
from bot.flows.deposits import DepositFlow
from bot.flows.expiry import ExpiryFlow
from bot.flows.importing import ImportFlow
from bot.flows.item import ItemFlow
from bot.flows.lots import LotsFlow
from bot.flows.partners import PartnerFlow
from bot.flows.prices import PriceListFlow
from bot.flows.printing import LabelsFlow, PrintFlow
from bot.flows.purchasing import PurchaseOrderFlow, WithdrawFlow
from bot.flows.quick import QuickInFlow, QuickOutFlow
from bot.flows.quotations import QuotationFlow, QuotationsFlow
from bot.flows.receiving import ReceiveFlow
from bot.flows.replenish import LowStockFlow
from bot.flows.reports import REPORT_COMMANDS, report_flows
from bot.flows.sales import SalesOrderFlow
from bot.flows.sales_orders import OrdersFlow, ShipFlow
from bot.flows.saved_reports import SavedReportsFlow
from bot.flows.trace import TraceFlow
from bot.flows.undo import UndoFlow
from bot.flows.warehouse import CountFlow, ReceiveTransferFlow, TransferFlow

COMMANDS: tuple[Command, ...] = (
    Command("help", ("help", "帮助", "菜单", "menu", "?", "？"), "Help / 帮助"),
    Command("stock", ("stock", "库存", "查库存", "search", "搜索", "查找"), "Stock by SKU, barcode or name / 查库存"),
    Command("language", ("lang", "language", "语言"), "Language / 语言"),
    Command("item", ("item", "商品", "货品"), "Item card: stock, price, next steps / 商品", menu=False),
    Command("sales", ("so", "order", "销售单", "开单"), "New sales order / 销售单"),
    Command("orders", ("orders", "我的订单", "订单"), "My sales orders / 我的订单"),
    Command("quotation", ("quote", "quotation", "报价"), "New quotation / 报价"),
    Command("quotations", ("quotes", "quotations", "报价单"), "Open quotations, one tap to order / 报价单"),
    Command("ship", ("ship", "发货"), "Ship a sales order / 发货"),
    Command("customer", ("customer", "客户"), "Customer and history / 客户"),
    Command("supplier", ("supplier", "供应商"), "Supplier and history / 供应商"),
    Command("prices", ("prices", "价格", "价目表"), "Price lists: grades, rules (manager) / 价格"),
    Command("approvals", ("approvals", "approve", "审批"), "Pending approvals / 审批"),
    Command("deposit", ("deposit", "订金", "定金"), "Deposits on orders: record, refund, forfeit (money) / 订金"),
    Command("lowstock", ("lowstock", "缺货", "补货"), "Low stock, draft POs / 缺货"),
    Command("po", ("po", "采购单", "采购"), "New purchase order / 采购单"),
    Command("withdraw", ("withdraw", "撤回"), "Withdraw my submitted purchase order / 撤回", menu=False),
    Command("receive", ("receive", "收货"), "Receive a purchase order / 收货"),
    Command("in", ("in", "入库"), "Quick receipt: in PO-... SKU qty, in WAREHOUSE SKU qty / 入库"),
    Command("out", ("out", "出库"), "Quick issue: out WAREHOUSE SKU qty / 出库"),
    Command("transfer", ("transfer", "调拨"), "Transfer between warehouses / 调拨"),
    Command("receivetransfer", ("receivetransfer", "收调拨"), "Receive a transfer / 收调拨"),
    Command("count", ("count", "盘点"), "Stocktake count / 盘点"),
    Command("undo", ("undo", "撤销"), "Undo my last posting / 撤销"),
    Command("print", ("print", "打印", "pdf"), "Print a document as PDF: print SO-... / 打印"),
    Command("labels", ("labels", "label", "标签", "条码标签"), "Product and shelf labels: labels SKU ... / 标签"),
    Command("lots", ("lots", "批次", "批号"), "Lots of a product: expiry, stock per warehouse / 批次"),
    Command("trace", ("trace", "追溯", "溯源"), "Trace a lot or serial: movements, supplier, customers / 追溯"),
    Command("expiry", ("writeoff", "报废"), "Write off or quarantine an expiring lot / 报废", menu=False),
    Command("invite", ("invite", "邀请"), "Invite a person (admin) / 邀请"),
    Command("loginlink", ("loginlink", "登录链接"), "Browser sign-in link (admin) / 登录链接"),
    Command("import", ("import", "导入"), "Import a file: import products|customers|... (admin) / 导入"),
    *REPORT_COMMANDS,
    Command("savedreports", ("saved", "savedreports", "myreports", "我的报表", "已存报表"),
            "Saved reports: run, new, schedule / 我的报表"),
)


def default_flows(*, bot_username: str = "", public_url: str = "http://127.0.0.1:8080",
                  printer: Printer | None = None) -> list[Flow]:
    """One instance of every flow; `bot_username` ([telegram]) and `public_url` ([server]) make links, `printer`
    prints with [company] and [documents] ([books] rules travel on the unit of work)."""
    return [HelpFlow(describe(COMMANDS)), StockFlow(), LanguageFlow(), ItemFlow(),
            SalesOrderFlow(), OrdersFlow(), ShipFlow(), PartnerFlow("customer"), PartnerFlow("supplier"),
            PriceListFlow(), QuotationFlow(), QuotationsFlow(), DepositFlow(),
            ApprovalsFlow(), LowStockFlow(), InviteFlow(bot_username), LoginLinkFlow(public_url),
            PurchaseOrderFlow(), WithdrawFlow(), ReceiveFlow(), QuickInFlow(), QuickOutFlow(), TransferFlow(),
            ReceiveTransferFlow(),
            CountFlow(), UndoFlow(), PrintFlow(printer), LabelsFlow(printer), LotsFlow(), TraceFlow(), ExpiryFlow(),
            ImportFlow(),
            *report_flows(),
            SavedReportsFlow()]
