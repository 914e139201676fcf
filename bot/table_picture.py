"""A table drawn as a PNG for a chat too narrow for it: a coloured header, striped rows, numbers to the right, the
totals row set apart; Chinese in WenQuanYi Micro Hei when it is installed (without a CJK font it would be boxes)."""

from __future__ import annotations

import io

from bot.engine.tables import Table, wrap

CJK_FONT = "WenQuanYi Micro Hei"
FONT_PX = 26
PAD_PX = 22  # around the table and on each side of a cell
ROW_PX = 46
LINE_PX = 32  # each further line of a wrapped cell
WRAP_COLUMNS = 26  # a text cell longer than this wraps (the first column, a code, never does)
MAX_ROWS = 60  # more than this is for the spreadsheet: the picture ends with a row of "…"
HEADER_COLOUR = "#2f6fb0"
STRIPE_COLOUR = "#f1f5fa"
TOTALS_COLOUR = "#e3ebf6"
INK = "#1b1f24"
DPI = 100


def cjk_font() -> str | None:
    """The CJK font for pictures when it is installed (fonts-wqy-microhei), else None."""
    from matplotlib import font_manager

    return CJK_FONT if any(font.name == CJK_FONT for font in font_manager.fontManager.ttflist) else None


def font_families() -> list[str]:
    """The families to draw a table with: the CJK font when there is one, then matplotlib's own DejaVu Sans."""
    font = cjk_font()
    return [font, "DejaVu Sans"] if font else ["DejaVu Sans"]


def table_png(table: Table) -> bytes:
    """The table as a PNG, each column as wide as its widest cell at FONT_PX; at most MAX_ROWS rows."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Rectangle
    from matplotlib.textpath import TextToPath

    families = font_families()
    rows = list(table.rows)
    if len(rows) > MAX_ROWS:
        rows = [*rows[:MAX_ROWS - 1], ("…", *("" for _ in table.header[1:]))]
    lines = [table.header, *rows, *((table.totals,) if table.totals else ())]
    cells = [[[cell] if i == 0 or table.right(i) else wrap(cell, WRAP_COLUMNS) for i, cell in enumerate(line)]
             for line in lines]
    heights = [ROW_PX + LINE_PX * (max(len(c) for c in line) - 1) for line in cells]
    prop = FontProperties(family=families, size=FONT_PX * 72 / DPI)
    measure = TextToPath()
    widths = [max(measure.get_text_width_height_descent(part, prop, ismath=False)[0] * DPI / 72
                  for line in cells for part in line[i]) + 2 * PAD_PX for i in range(len(table.header))]
    width, height = sum(widths) + 2 * PAD_PX, sum(heights) + 2 * PAD_PX
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False}):
        figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
        axes = figure.add_axes((0, 0, 1, 1))
        axes.set_axis_off()
        axes.set_xlim(0, width)
        axes.set_ylim(height, 0)
        top: float = PAD_PX
        for n, line in enumerate(cells):
            header, totals = n == 0, bool(table.totals) and n == len(cells) - 1
            fill = HEADER_COLOUR if header else TOTALS_COLOUR if totals else STRIPE_COLOUR if n % 2 == 0 else None
            if fill is not None:
                axes.add_patch(Rectangle((PAD_PX, top), width - 2 * PAD_PX, heights[n], facecolor=fill,
                                         linewidth=0))
            if totals:
                axes.plot([PAD_PX, width - PAD_PX], [top, top], color=HEADER_COLOUR, linewidth=2)
            left: float = PAD_PX
            for i, parts in enumerate(line):
                right = table.right(i)
                for k, part in enumerate(parts):
                    axes.text(left + widths[i] - PAD_PX if right else left + PAD_PX, top + ROW_PX / 2 + k * LINE_PX,
                              part, fontproperties=prop, color="white" if header else INK,
                              ha="right" if right else "left", va="center_baseline")
                left += widths[i]
            top += heights[n]
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
