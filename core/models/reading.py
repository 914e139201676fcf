"""What pictures of paper taught the books: a partner's words for a product (learned when a person matched a row
by hand) and which picture a document was taken from (so the same picture never posts twice)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

ALIAS_KINDS = ("supplier", "customer")


class PartnerItemAlias(Base):
    """A supplier's (or customer's) own text or item code for one of our products, as a person confirmed it."""

    __tablename__ = "partner_item_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_kind: Mapped[str] = mapped_column(String(10))
    partner_id: Mapped[int]
    alias: Mapped[str] = mapped_column(String(200))  # folded: lower case, no spaces
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    learned_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("partner_kind", "partner_id", "alias", name="uq_partner_item_alias"),
        CheckConstraint("partner_kind IN ('supplier', 'customer')", name="kind"),
    )


class DocumentPicture(Base):
    """A picture a document was posted from: its sha256, the order and the receipt, who and when."""

    __tablename__ = "document_picture"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(20))  # "po_receipt"
    order_number: Mapped[str] = mapped_column(String(40))
    document_number: Mapped[str] = mapped_column(String(40))
    note_number: Mapped[str] = mapped_column(String(40), default="")
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("sha256", "purpose", name="uq_document_picture"),)


class PictureFile(Base):
    """The bytes of a picture of paper, by its sha256: kept for `[reading] keep_days` after a document was posted
    from it (document_picture), a day when none was."""

    __tablename__ = "picture_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
