"""The chat offers the matching page: 销售单 the order page, 收货 PO-... the receiving page of that order, 盘点 the
camera count of that warehouse, in the reader's language; the other buttons stay as they were."""

from __future__ import annotations

from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.integration.chat_shop import open_shop, person


def pages(chat: Chat) -> list[tuple[str, str]]:
    return [(b.label, b.link) for r in chat.replies for row in r.buttons for b in row if b.link]


def test_each_flow_offers_its_page_in_the_readers_language(uow: UnitOfWork, admin: Actor) -> None:
    shop = open_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 5, "3")])
    draft = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", 2, "40")])
    number = submit_purchase_order(uow, shop.purchaser, draft.number).number

    seller = person(uow, admin, "sales-1")
    seller.send("销售单")
    assert pages(seller) == [("在页面里开单", "/app/sales")]

    worker = person(uow, admin, "warehouse-1", "en")
    worker.send(f"receive {number}")
    assert pages(worker) == [("Receive on a page", f"/app/receive?po={number}")]
    assert any(b.data for r in worker.replies for row in r.buttons for b in row), "the chat's own buttons stay"
    worker.send("count MAIN")
    assert pages(worker) == [("Count with the camera", "/app/count?warehouse=MAIN")]
