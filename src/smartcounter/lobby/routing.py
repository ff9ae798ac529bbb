"""Routing: which queue each declared business goes to, from the catalogue and the terminals.

Plain functions over plain values, so that the service, the simulator and tests share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from smartcounter.canonical.catalogue import Catalogue
from smartcounter.lobby.errors import UnknownBusiness
from smartcounter.lobby.models import QueueKind, TerminalStatus

# The cash leg comes first: the teller deposits the cash to the card, then the customer
# does the non-cash part at the smart counter (the split in the source).
LEG_ORDER: dict[QueueKind, int] = {QueueKind.TELLER: 0, QueueKind.STM: 1, QueueKind.WEALTH: 2}

DEVICE_FAULT = "device_fault"
NOT_SUPPORTED = "not_supported"


@dataclass(frozen=True)
class RoutingRules:
    """The routing details kept as data (rules.toml)."""

    authorisation_required: frozenset[str]
    digital_alternatives: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class PlannedItem:
    """One declared business, the queue it goes to, and why if it stays at a teller."""

    business_code: str
    route: QueueKind
    reason: str | None = None


def stm_available(statuses: Iterable[TerminalStatus]) -> bool:
    """True when at least one active smart counter is not down."""
    return any(s is not TerminalStatus.DOWN for s in statuses)


def plan_items(
    codes: Sequence[str],
    *,
    catalogue: Catalogue,
    stm_statuses: Sequence[TerminalStatus],
    declined_reason: str | None = None,
) -> list[PlannedItem]:
    """Route each code: migratable → smart counter, everything else → teller, cash first.

    A customer who declined the smart counter at ticket-taking, or a branch whose smart
    counters are all down or missing, sends migratable business to a teller with the reason.
    """
    fallback: str | None = declined_reason
    if fallback is None and not stm_available(stm_statuses):
        fallback = DEVICE_FAULT if stm_statuses else NOT_SUPPORTED
    planned: list[PlannedItem] = []
    for code in codes:
        business = catalogue.get(code)
        if business is None:
            raise UnknownBusiness(code=code)
        if business.migratable and fallback is None:
            planned.append(PlannedItem(code, QueueKind.STM))
        elif business.migratable:
            planned.append(PlannedItem(code, QueueKind.TELLER, fallback))
        else:
            planned.append(PlannedItem(code, QueueKind.TELLER))
    return sorted(planned, key=lambda p: LEG_ORDER[p.route])


def next_queue(routes: Iterable[QueueKind]) -> QueueKind | None:
    """The queue of the next leg among the routes of a ticket's pending business."""
    pending = sorted(set(routes), key=LEG_ORDER.__getitem__)
    return pending[0] if pending else None


def alternatives_for(codes: Iterable[str], rules: RoutingRules) -> tuple[str, ...]:
    """Products to recommend for the non-migratable business among ``codes``, in order."""
    out: list[str] = []
    for code in codes:
        for product in rules.digital_alternatives.get(code, ()):
            if product not in out:
                out.append(product)
    return tuple(out)


def channel_of(queue: QueueKind) -> str:
    """The canonical channel of business done at a point of kind ``queue``."""
    return "stm" if queue is QueueKind.STM else "teller"
