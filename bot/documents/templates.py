"""The template of each printed kind: its title, whether the amount is said in capital figures, and the lines
left for signatures. A new kind is one entry here, its words in doc_words, and a reader in core."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentTemplate:
    """How a kind prints: its words are title_<kind> and sign_<kind> ("a|b|c") in doc_words."""

    kind: str
    capitals: bool = True

    @property
    def title(self) -> str:
        return f"title_{self.kind}"

    @property
    def signatures(self) -> str:
        return f"sign_{self.kind}"


def templates() -> Mapping[str, DocumentTemplate]:
    """Every printable kind's template."""
    kinds = (DocumentTemplate("delivery_note"), DocumentTemplate("shipment_note"),
             DocumentTemplate("quotation"), DocumentTemplate("purchase_order"), DocumentTemplate("goods_received"),
             DocumentTemplate("customer_statement"), DocumentTemplate("supplier_statement"),
             DocumentTemplate("stocktake_sheet", capitals=False))
    return {template.kind: template for template in kinds}
