"""Finding rows by what a person knows of them: a fragment of a name (Chinese or English), its full pinyin or
initials, a part of its code, or all of these with a small typo.

Each row keeps `search_text` (every form joined by "|": names, code, pinyin, initials) and `search_pinyin` (indexed).
A query is looked up in bounded steps, each one statement for any number of queries: rows whose whole name,
English name or pinyin equals it (indexes); else the first CANDIDATES rows containing it (products: through the
trigram index, see core.models.search_index), ranked in Python (a whole form equal, then a form that starts with
it, then the rest); else typos, scored with rapidfuzz over the rows whose pinyin, code or English name starts with
the query's first letters (index ranges, MAX_CANDIDATES each).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from core.catalog.spelling import SEPARATOR, folded, spelling
from core.models.search_index import SQLITE_TABLE

TAKE_SCORE = 85  # a typo this close to one row (and no other) is taken as that row
NEAR_SCORE = 60  # rows at least this close are offered as the nearest when nothing matched
PART_LENGTH, PART_PENALTY = 4, 3  # a fragment of a longer form scores a little less than the whole form
MAX_CANDIDATES = 600  # per index range and query, for the typo scoring
CANDIDATES = 60  # rows containing a query fetched (unordered) to rank: a scan stops there
TRIGRAM_PATTERN = 12  # the trigram table is asked for the query's first characters, the row checked for all
QUERY_LENGTH = 64


@dataclass(frozen=True)
class Searched:
    """What one query found: `matches` (ids, best first; `exact` when only the first equals a whole form), else
    `typos` (rows a small typo away, best first), else the `nearest` rows."""

    matches: tuple[int, ...] = ()
    exact: bool = False
    typos: tuple[int, ...] = ()
    nearest: tuple[int, ...] = ()

    @property
    def only(self) -> int | None:
        """The one row this query means, if it means one: a lone or exact match, or a lone typo."""
        if self.matches:
            return self.matches[0] if len(self.matches) == 1 or self.exact else None
        return self.typos[0] if len(self.typos) == 1 else None

    @property
    def several(self) -> tuple[int, ...]:
        """The rows to pick from when the query means more than one: the matches, else the typos."""
        return () if self.only is not None else self.matches or self.typos


@dataclass(frozen=True)
class Searchable:
    """A table with searchable columns, the condition on rows that may be found, its code, its name and (for
    products) its English name."""

    table: Any
    where: ColumnElement[bool]
    code: Any
    name: Any
    name_en: Any = None


def search(tx_conn: Any, target: Searchable, queries: Iterable[str], limit: int) -> dict[str, Searched]:
    """Up to `limit` matches (else the nearest rows) for each query."""
    wanted = sorted({q for q in queries if folded(q)})
    matched = _matches(tx_conn, target, wanted, limit) if wanted else {}
    found = {q: Searched(tuple(i for i, _ in rows), [r for _, r in rows].count(0) == 1) for q, rows in matched.items()}
    missing = [q for q in wanted if q not in found]
    if missing:
        found.update(_nearest(tx_conn, target, missing, limit))
    return found


def forms_of(query: str) -> tuple[str, str]:
    """The query as its forms are stored (folded) and as a key for pinyin and codes (no spaces; Chinese spelled)."""
    text = folded(query)[:QUERY_LENGTH]
    key = spelling(text).pinyin if any(not ch.isascii() for ch in text) else text.replace(" ", "")
    return text, key


def _rank(column: Any, text: str) -> Any:
    whole = or_(column.startswith(text + SEPARATOR, autoescape=True),
                column.contains(SEPARATOR + text + SEPARATOR, autoescape=True))
    starts = or_(column.startswith(text, autoescape=True), column.contains(SEPARATOR + text, autoescape=True))
    return case((whole, 0), (starts, 1), else_=2)


def matching(table: Any, query: str, dialect: str = "") -> tuple[ColumnElement[bool], Any]:
    """The condition that a row of `table` matches `query`, and its rank (0 a whole form, 1 a form's start). On
    SQLite, products are matched through their trigram table (three characters or more)."""
    text, key = forms_of(query)
    column = table.c.search_text
    patterns = [text] + ([key] if key != text and key and text.isascii() else [])  # "bao wen bei" as baowenbei
    hits = [column.contains(p, autoescape=True) for p in patterns]
    if dialect == "sqlite" and table.name == "product" and all(len(p) >= 3 for p in patterns):
        trigrams = sql_table(SQLITE_TABLE, sql_column("rowid"), sql_column("search_text"))
        hits = [and_(table.c.id.in_(select(trigrams.c.rowid).where(trigrams.c.search_text.match(_phrase(p)))), hit)
                for p, hit in zip(patterns, hits, strict=True)]
    return or_(*hits), _rank(column, text)


def _phrase(pattern: str) -> str:
    """An FTS5 phrase of the pattern's first characters: their trigrams in a row, which is their substring."""
    return '"' + pattern[:TRIGRAM_PATTERN].replace('"', '""') + '"'


def _columns(number: int, table: Any) -> tuple[Any, ...]:
    return literal(number).label("query"), table.c.id, table.c.search_text


def _exact(target: Searchable, number: int, query: str) -> Select[Any]:
    """Rows equal to the query by an index: its whole name, English name or pinyin."""
    text, key = forms_of(query)
    equal = [target.name == query.strip(), target.table.c.search_pinyin == key]
    if target.name_en is not None:
        equal.append(func.lower(target.name_en) == text)
    return select(*_columns(number, target.table)).where(target.where, or_(*equal)).limit(CANDIDATES)


def _containing(target: Searchable, number: int, query: str, dialect: str) -> Select[Any]:
    """The first rows containing the query, unordered (a scan stops at CANDIDATES), to be ranked in Python."""
    hit = matching(target.table, query, dialect)[0]
    return select(*_columns(number, target.table)).where(target.where, hit).limit(CANDIDATES)


def _union(conn: Any, parts: list[Select[Any]], queries: Sequence[str]) -> dict[str, dict[int, str]]:
    subqueries = [part.subquery() for part in parts]
    statement = union_all(*(select(s.c.query, s.c.id, s.c.search_text).select_from(s) for s in subqueries))
    texts: dict[str, dict[int, str]] = {}
    for row in conn.execute(statement):
        texts.setdefault(queries[row.query], {})[row.id] = row.search_text
    return texts


def _matches(conn: Any, target: Searchable, queries: Sequence[str], limit: int) -> dict[str, list[tuple[int, int]]]:
    """Whole names first (one statement for every query), then the rows containing the queries that no whole
    name answered (one more)."""
    texts = _union(conn, [_exact(target, n, q) for n, q in enumerate(queries)], queries)
    rest = [(n, q) for n, q in enumerate(queries) if q not in texts]
    if rest:
        texts.update(_union(conn, [_containing(target, n, q, conn.dialect.name) for n, q in rest], queries))
    return {query: _ranked(forms_of(query)[0], rows)[:limit] for query, rows in texts.items()}


def _ranked(text: str, rows: dict[int, str]) -> list[tuple[int, int]]:
    """(id, rank) best first: 0 a whole form equals the query, 1 a form starts with it, 2 it is inside one; then
    the shorter name, then the older row."""
    scored = []
    for ident, searchable in rows.items():
        forms = searchable.split(SEPARATOR)
        rank = 0 if text in forms[:-1] else 1 if any(f.startswith(text) for f in forms) else 2
        scored.append((rank, len(forms[0]), ident))
    return [(ident, rank) for rank, _length, ident in sorted(scored)]


def _ranges(target: Searchable, key: str) -> list[Select[Any]]:
    """Rows whose pinyin, code or English name starts with the key's first letters: index range scans."""
    head = key[:3] if len(key) >= 5 else key[:2]
    after = head[:-1] + chr(ord(head[-1]) + 1)
    columns = [target.table.c.search_pinyin, target.code]
    if "name_en" in target.table.c:
        columns.append(func.lower(target.table.c.name_en))
    selects = []
    for column in columns:
        low, high = (head.upper(), after.upper()) if column is target.code else (head, after)
        selects.append(select(target.table.c.id, target.table.c.search_text)
                       .where(target.where, column >= low, column < high).limit(MAX_CANDIDATES))
    return selects


def _nearest(conn: Any, target: Searchable, queries: Sequence[str], limit: int) -> dict[str, Searched]:
    keyed = {q: forms_of(q) for q in queries}
    parts = [select(literal(n).label("query"), s.c.id, s.c.search_text).select_from(s)
             for n, q in enumerate(queries) if len(keyed[q][1]) >= 2
             for s in (r.subquery() for r in _ranges(target, keyed[q][1]))]
    if not parts:
        return {}
    candidates: dict[str, dict[int, str]] = {}
    for row in conn.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
        candidates.setdefault(queries[row.query], {})[row.id] = row.search_text
    found = {}
    for query, rows in candidates.items():
        scored = _scored(keyed[query], rows)
        if scored:
            typos = tuple(i for i, score in scored[:limit] if score >= TAKE_SCORE)
            found[query] = Searched(typos=typos, nearest=tuple(i for i, _ in scored[:limit]))
    return found


def _scored(forms: tuple[str, str], rows: dict[int, str]) -> list[tuple[int, float]]:
    """Rows by their closest form to the query, those at least NEAR_SCORE, best first: rapidfuzz's ratio (0 to 100)
    of the whole form, or a little less for the best part of a longer form (a fragment of a name)."""
    ids: list[int] = []
    choices: list[str] = []
    for ident, text in rows.items():
        for form in text.split(SEPARATOR):
            ids.append(ident)
            choices.append(form.replace(" ", ""))
    best: dict[int, float] = {}
    for query in set(forms):
        _best_of(best, query, ids, choices, fuzz.ratio, 0)
        if len(query) >= PART_LENGTH:  # a part of a longer form only: a short form inside the query is no match
            longer = [n for n, choice in enumerate(choices) if len(choice) > len(query)]
            _best_of(best, query, [ids[n] for n in longer], [choices[n] for n in longer], fuzz.partial_ratio,
                     PART_PENALTY)
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))


def _best_of(best: dict[int, float], query: str, ids: list[int], choices: list[str], scorer: Any,
             penalty: float) -> None:
    for _choice, score, index in process.extract(query, choices, scorer=scorer, limit=50,
                                                 score_cutoff=NEAR_SCORE + penalty):
        best[ids[index]] = max(best.get(ids[index], 0.0), score - penalty)
