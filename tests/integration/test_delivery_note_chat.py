"""A photo of the supplier's delivery note during 收货 PO-…: its rows proposed against the order (one message,
a row of buttons per line), nothing received until confirmed, the picture recorded with the receipt, a row matched
by hand learned for the supplier's next note; a picture without a table or not a picture changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.engine.inbound import Inbound
from core.models import (
    AuditLog,
    DocumentPicture,
    PartnerItemAlias,
    Product,
    PurchaseOrderLine,
    PurchaseReceiptLine,
    StockMove,
)
from core.permissions import Actor
from core.reading.text import Reading
from core.uow import UnitOfWork
from tests.integration.chat_shop import open_shop, person, rows
from tests.note_shop import EIGHT, MORE_ROWS, ROWS, note_shop
from tests.notes import Written, note, read_picture, scribble

TABLES = (StockMove, PurchaseReceiptLine, DocumentPicture, PartnerItemAlias)


def received(uow: UnitOfWork) -> dict[str, Decimal]:
    return uow.read(lambda tx: {sku: qty for sku, qty in tx.session.execute(
        select(Product.sku, StockMove.qty).join(Product, Product.id == StockMove.product_id))})


def test_a_note_proposes_its_rows_and_posts_them_once_confirmed(uow: UnitOfWork, admin: Actor) -> None:
    shop = open_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser).order
    chat = person(uow, admin, "warehouse-1")
    chat.send(f"收货 {order}")
    card = chat.note(EIGHT)
    assert len(card) == 1
    assert card[0].startswith(f"📄 送货单 DN-2026-0042（华美日用品有限公司，2026-12-03） → {order}，纸上 8 行")
    for n, (_, (sku, qty)) in enumerate(ROWS[:8], 1):
        assert f"\n{n}. ⏳ " in card[0] and f"→ {sku} " in card[0].split(f"\n{n}. ")[1].split("\n")[0]
        assert f"实收 {qty}" in card[0].split(f"\n{n}. ")[1].split("\n")[0]
    assert "纸上没有：PLATE（待收 15）、SPOON（待收 50）" in card[0]
    assert rows(uow, *TABLES) == (0, 0, 0, 0), "nothing is received before it is confirmed"
    drop = chat.button("8 ✗")
    assert chat.note(EIGHT) == [f"这张图片刚才已经读过了，上面就是 {order} 的建议收货行。没有任何改动。"]
    chat.press(drop)
    chat.press(chat.button("认出的全部接受"))
    chat.press(chat.button("1 改数量"))
    assert chat.send("11")[0].count("✅") == 7
    done = chat.press(chat.button("入库已确认的 7 行"))
    assert done[0].startswith("已收货 GR-")
    assert received(uow) == {"CUP500": 11, "LUNCHBOX": 36, "CHOPSTICK": 40, "KETTLE": 2, "BOWL": 10, "TOWEL": 20,
                             "BRUSH": 30}
    audit = uow.read(lambda tx: tx.session.scalar(select(AuditLog.detail).where(
        AuditLog.action == "purchase.receive_from_picture")))
    assert audit is not None and audit["receipt"] in done[0] and len(audit["picture"]) == 64
    chat.send(f"收货 {order}")
    again = chat.note(EIGHT)
    assert again[0].startswith("这张送货单照片已经入库过了") and audit["receipt"] in again[0]


def test_a_row_matched_by_hand_is_learned_for_the_suppliers_next_note(uow: UnitOfWork, admin: Actor) -> None:
    shop = open_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser, lines=3).order
    chat = person(uow, admin, "warehouse-1", "en")
    own = [Written("HM-881大号", "5", "个"), Written("竹筷子", "10", "双")]
    chat.send(f"receive {order}")
    card = chat.note(note(own, number="DN-2026-0050"))[0]
    assert "1. ⏳ \"HM-881大号\" 5 pcs → ⚠ item not recognised" in card
    chat.press(chat.button("1 other item"))
    chat.press(chat.button("CUP500"))
    chat.press(chat.button("2 ✓"))
    assert chat.press(chat.button("Receive the 2 accepted"))[0].startswith("Received GR-")
    assert uow.read(lambda tx: tx.session.scalars(select(PartnerItemAlias.alias)).all()) == ["hm-881大号"]
    chat.send(f"receive {order}")
    second = chat.note(note(own[:1], number="DN-2026-0061", day="2026-12-04"))[0]
    assert "1. ⏳ \"HM-881大号\" 5 pcs → CUP500 Steel vacuum cup 500ml received 5 ⚠ the order expects 7" in second


@pytest.mark.parametrize(("language", "words"), [("zh_CN", "没有找到送货单的表格"), ("en", "No table of goods")])
def test_a_picture_without_a_table_says_so_and_changes_nothing(
    uow: UnitOfWork, admin: Actor, language: str, words: str
) -> None:
    shop = open_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser, lines=3).order
    chat = person(uow, admin, "warehouse-1", language)
    chat.send(f"收货 {order}")
    assert words in chat.note(scribble())[0]
    assert chat.send("3")[0].startswith(("还有", "Still")) or rows(uow, *TABLES) == (0, 0, 0, 0)


@pytest.mark.parametrize(("reason", "words"), [("too_large", "图片太大了"), ("not_image", "不是图片")])
def test_an_oversized_or_non_picture_is_refused_by_name(uow: UnitOfWork, admin: Actor, reason: str,
                                                        words: str) -> None:
    shop = open_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser, lines=3).order
    chat = person(uow, admin, "warehouse-1")
    chat.send(f"收货 {order}")
    from bot.engine.inbound import Inbound
    answer = chat._deliver(Inbound("test", f"r{reason}", chat.chat_id, chat.user_id, codes=(),
                                   reading=Reading("0" * 64, refused=reason)))
    assert words in answer[0] and "没有任何改动" in answer[0]
    assert rows(uow, *TABLES) == (0, 0, 0, 0)
    assert uow.read(lambda tx: sum(tx.session.scalars(select(PurchaseOrderLine.received_qty)))) == 0


def test_outside_receiving_a_note_asks_which_open_order_the_suppliers_first(uow: UnitOfWork, admin: Actor) -> None:
    shop = open_shop(uow, admin)
    from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
    other = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("RETRO-CLOCK", 5, "9")])
    submit_purchase_order(uow, shop.purchaser, other.number)
    order = note_shop(uow, admin, shop.purchaser).order
    chat = person(uow, admin, "warehouse-1")
    asked = chat.note(EIGHT)
    assert asked[0].startswith("这张送货单属于哪张待收货的采购单？")
    labels = [b.label for row in chat.replies[0].buttons for b in row]
    assert labels == [f"{order} 华美日用品有限公司", f"{other.number} Acme 贸易"], "the supplier on paper first"
    card = chat.press(chat.button(order))
    assert card[0].startswith(f"收货：{order}") and card[1].startswith("📄 送货单 DN-2026-0042")
    assert "纸上 8 行" in card[1] and rows(uow, *TABLES) == (0, 0, 0, 0)


@pytest.mark.parametrize(("written", "angle", "blur"), [(ROWS[7:10], -2.0, 0.9), (ROWS + MORE_ROWS, 1.0, 0.5)],
                         ids=["3 lines", "12 lines"])
def test_notes_of_three_to_twelve_lines_are_proposed_as_written(
    uow: UnitOfWork, admin: Actor, written: tuple[tuple[Written, tuple[str, str]], ...], angle: float, blur: float
) -> None:
    shop = open_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser, len(written), written).order
    chat = person(uow, admin, "warehouse-1", "en")
    chat.send(f"receive {order}")
    card = chat.note(note([w for w, _ in written], angle=angle, blur=blur))[0]
    assert f"{len(written)} rows on paper" in card
    for n, (row, (sku, qty)) in enumerate(written, 1):
        line = card.split(f"\n{n}. ")[1].split("\n")[0]
        if row.readable:
            assert f"→ {sku} " in line and f"received {qty}" in line and "⚠" not in line, line
    assert "Not on paper" not in card


def test_a_draft_takes_a_bounded_number_of_statements_whatever_its_line_count(uow: UnitOfWork, admin: Actor) -> None:
    """The order (5), aliases (1), the code finders (3 at most), the search of names and of their parts (3 each at
    most), the products (1) and pack units (1): which of them run depends on how rows match, never on how many."""
    from benchmarks.common import StatementCounter
    from core.purchasing.receipt_drafts import draft_receipt
    from tests.notes import read_picture
    shop = open_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser, 12, ROWS + MORE_ROWS).order
    counter = StatementCounter(uow.engine)
    counts = []
    for written, angle, blur in ((ROWS[7:10], -2.0, 0.9), (ROWS + MORE_ROWS, 1.0, 0.5)):
        reading = read_picture(note([w for w, _ in written], angle=angle, blur=blur))
        counts.append(counter.during(lambda r=reading: draft_receipt(uow, shop.warehouse, order, r)))
    assert max(counts) <= 17, counts


def test_a_picture_posts_once_by_its_unique_key(uow: UnitOfWork, admin: Actor) -> None:
    from core.purchasing.receipt_drafts import ConfirmedLine, PictureAlreadyPosted, receive_from_picture
    shop = open_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser, lines=3).order
    first = receive_from_picture(uow, shop.warehouse, order, "c" * 64, "DN-1", [ConfirmedLine("CUP500", "2")])
    with pytest.raises(PictureAlreadyPosted) as refused:
        receive_from_picture(uow, shop.warehouse, order, "c" * 64, "DN-1", [ConfirmedLine("CUP500", "2")])
    assert refused.value.params == {"number": order, "receipt": first.receipt_number}
    assert rows(uow, StockMove, DocumentPicture) == (1, 1)
    assert uow.read(lambda tx: tx.session.scalar(select(DocumentPicture.document_number))) == first.receipt_number


def test_a_salesperson_s_photo_is_read_as_the_customer_s_list_and_one_too_large_leaves_the_order_as_it_was(
    uow: UnitOfWork, admin: Actor
) -> None:
    from bot.engine.inbound import Inbound
    from core.partners.customers import NewCustomer, create_customer
    shop = open_shop(uow, admin)
    note_shop(uow, admin, shop.purchaser, lines=3)
    create_customer(uow, admin, NewCustomer("ACME-C", "Acme 客户", salesperson="sales-1"))
    chat = person(uow, admin, "sales-1")
    chat.send("so ACME-C")
    chat.press(chat.button("MAIN"))
    assert chat.note(EIGHT)[0].startswith("从图片录入 "), "during an order, paper is the customer's list"
    lines = chat.replies[0].text.count(" @ ")
    big = chat._deliver(Inbound("test", "big-1", chat.chat_id, chat.user_id, codes=(),
                                reading=Reading("1" * 64, refused="too_large")))
    assert big[0].startswith("这张图片太大了")
    assert chat.send("CUP500 2")[0].count(" @ ") == lines + 1, "the order goes on, as it was"


def test_the_photo_is_kept_with_the_receipt_for_the_days_configured(uow: UnitOfWork, admin: Actor) -> None:
    from datetime import timedelta

    from core.models import PictureFile
    from core.purchasing.receipt_drafts import purge_pictures
    shop = open_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser, lines=3).order
    chat = person(uow, admin, "warehouse-1")
    chat.send(f"收货 {order}")
    picture = note([w for w, _ in ROWS[:3]])
    chat._deliver(Inbound("test", "kept-1", chat.chat_id, chat.user_id, codes=(), reading=read_picture(picture),
                          file_content=picture))
    chat.press(chat.button("认出的全部接受"))
    chat.press(chat.button("入库已确认的 3 行"))
    kept = uow.read(lambda tx: tx.session.execute(select(PictureFile.sha256, PictureFile.content,
                                                         PictureFile.stored_at)).one())
    assert kept.content == picture and kept.sha256 == read_picture(picture).sha256
    assert uow.read(lambda tx: tx.session.scalar(select(DocumentPicture.sha256))) == kept.sha256
    assert purge_pictures(uow, kept.stored_at + timedelta(days=2), keep_days=365) == 0, "posted: kept for a year"
    assert purge_pictures(uow, kept.stored_at + timedelta(days=366), keep_days=365) == 1
