"""Tables in replies: the text form counts Chinese as two columns, Telegram gets escaped <pre> when the table fits
a phone and a picture when it does not, WeCom the text or the picture, the stored form round-trips."""

from __future__ import annotations

import html
import io

from PIL import Image

from bot.channels.telegram_pieces import TEXT_LIMIT, pieces, utf16_len
from bot.channels.wecom_sender import wecom_parts
from bot.engine.replies import Attachment, Reply
from bot.engine.tables import PHONE_COLUMNS, Table, clip, display_width
from bot.engine.texts import Texts, unit_word
from bot.table_picture import table_png

NARROW = Table(("仓库", "可用"), (("SH", "89"), ("<b>&", "1,024")), (False, True), ("合计", "1,113"))
WIDE = Table(("商品", "商品名称", "数量", "销售额"),
             (("CUP-00001", "禾木 不锈钢保温杯 500ml 白色", "113", "3,717.70"),),
             (False, False, True, True), ("合计", "", "113", "3,717.70"))


def test_chinese_counts_two_columns_and_numbers_align_right() -> None:
    assert display_width("仓库SH") == 6 and display_width("ＡＢ") == 4
    lines = NARROW.as_text().splitlines()
    assert lines == ["仓库   可用", "SH       89", "<b>&  1,024", "-----------", "合计  1,113"]
    assert {display_width(line) for line in lines} == {11}
    assert NARROW.width == 11 and NARROW.fits()
    assert WIDE.width > PHONE_COLUMNS and not WIDE.fits()


def test_clip_keeps_whole_characters_within_the_columns() -> None:
    assert clip("短", 10) == "短"
    assert clip("不锈钢保温杯", 7) == "不锈钢…" and display_width(clip("不锈钢保温杯", 7)) <= 7
    assert clip("abcdefgh", 5) == "abcd…"


def test_a_row_with_a_missing_cell_is_refused() -> None:
    try:
        Table(("a", "b"), (("1",),))
    except ValueError:
        return
    raise AssertionError("a short row was accepted")


def test_a_narrow_table_goes_to_telegram_as_escaped_pre_under_the_escaped_text() -> None:
    [piece] = pieces(Reply("库存 <CUP> & co", table=NARROW))
    assert piece.kind == "text" and piece.html
    assert piece.text == "库存 &lt;CUP&gt; &amp; co\n\n<pre>" + html.escape(NARROW.as_text(), quote=False) + "</pre>"
    assert "<b>" not in piece.text and "&lt;b&gt;&amp;" in piece.text


def test_a_table_too_wide_for_a_phone_goes_to_telegram_as_a_picture_captioned_with_the_text() -> None:
    [piece] = pieces(Reply("📊 销售汇总", table=WIDE))
    assert piece.kind == "photo" and piece.text == "📊 销售汇总" and not piece.html
    assert piece.attachment is not None and piece.attachment.mime == "image/png"
    with Image.open(io.BytesIO(piece.attachment.content)) as picture:
        width, height = picture.size
    assert width > 500 and 150 < height < 400, "four lines of large type, each column as wide as its cells"


def test_a_long_table_is_cut_into_pre_blocks_within_telegrams_limit() -> None:
    rows = tuple((f"A{n:04d}", str(n)) for n in range(700))
    shown = pieces(Reply("很长", table=Table(("编码", "数量"), rows, (False, True))))
    assert len(shown) > 2 and shown[0].text == "很长" and not shown[0].html
    assert all(p.text.startswith("<pre>") and p.text.endswith("</pre>") for p in shown[1:])
    assert all(utf16_len(p.text) <= TEXT_LIMIT for p in shown)
    assert sum(p.text.count("\n") + 1 for p in shown[1:]) == 701, "every line once: the header and 700 rows"


def test_a_table_with_a_file_sends_the_table_then_the_file() -> None:
    sheet = Attachment("r.xlsx", b"PK", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    shown = pieces(Reply("表", file=sheet, table=NARROW))
    assert [p.kind for p in shown] == ["text", "document"] and shown[1].attachment is sheet


def test_wecom_gets_the_text_form_when_it_fits_and_the_picture_when_it_does_not() -> None:
    body, sent = wecom_parts(Reply("库存", table=NARROW))
    assert body == "库存\n\n" + NARROW.as_text() and sent == []
    body, sent = wecom_parts(Reply("销售", table=WIDE))
    assert body == "销售" and [kind for kind, _ in sent] == ["image"] and sent[0][1].content[:4] == b"\x89PNG"


def test_the_stored_form_of_a_reply_keeps_its_table() -> None:
    reply = Reply("x", table=WIDE)
    assert Reply.from_json(reply.to_json()) == reply
    assert Reply.from_json(Reply("y").to_json()).table is None
    assert reply.plain == "x\n\n" + WIDE.as_text()


def test_a_picture_of_many_rows_stops_at_sixty_and_long_names_wrap_instead_of_widening_it() -> None:
    def size(table: Table) -> tuple[int, int]:
        with Image.open(io.BytesIO(table_png(table))) as picture:
            return picture.size

    one_line = size(Table(("编码", "名称"), tuple((str(n), "名称") for n in range(200))))
    assert one_line[1] == size(Table(("编码", "名称"), tuple((str(n), "名称") for n in range(59))))[1] + 46, \
        "60 rows drawn: 59 and a row of dots, under the header"
    short = size(Table(("编码", "名称"), (("1", "名称" * 6),)))
    long = size(Table(("编码", "名称"), (("1", "名称" * 30),)))
    assert long[0] < short[0] * 2 and long[1] > short[1], "a long name wraps onto more lines, not wider"


def test_standard_units_read_in_the_readers_language_and_others_stay_as_written() -> None:
    assert unit_word("个", "en") == "pcs" and unit_word("箱", "en") == "box" and unit_word("口", "en") == "pc"
    assert unit_word("box", "zh_CN") == "箱" and unit_word("PCS", "zh_CN") == "个"
    assert unit_word("托盘", "en") == "托盘" and unit_word("个", "zh_CN") == "个"
    assert Texts().render("en", "stock_column", name="available") == "Available"
