"""A document's life as a table: for each action, the statuses the document may be in to take it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from core.errors import InvalidState


class Lifecycle:
    """The allowed transitions of one document type, as action -> the statuses it may be taken from."""

    __slots__ = ("allowed_from",)

    def __init__(self, allowed_from: Mapping[str, Iterable[str]]) -> None:
        self.allowed_from: Mapping[str, frozenset[str]] = MappingProxyType(
            {action: frozenset(statuses) for action, statuses in allowed_from.items()})

    def statuses(self, action: str) -> frozenset[str]:
        """The statuses from which `action` may be taken."""
        return self.allowed_from[action]

    def ensure(self, action: str, number: str, status: str) -> None:
        """Refuse (invalid_state with the number, status and action) an action the status does not allow."""
        if status not in self.allowed_from[action]:
            raise InvalidState(number=number, status=status, action=action)
