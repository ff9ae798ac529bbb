"""Who gets what: reviewers the draft; directors their branch's page; centre and regions all.

Addresses come from two places: ``staff.csv``'s ``email`` column (branch directors, and
lobby managers when the settings say so) and the ``[publish]`` settings (reviewers, the
centre, the regional managers by region).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from smartcounter.publish.models import Edition
from smartcounter.settings import PublishSettings


@dataclass(frozen=True)
class Recipient:
    """One address and what it is sent: a branch's page (``branch_id``) or the whole bulletin."""

    address: str
    role: str  # reviewer, centre, region, director, lobby_manager
    name: str | None = None
    branch_id: str | None = None
    region: str | None = None
    branch_name: str | None = None


@dataclass(frozen=True)
class BranchEntry:
    """A branch of the bulletin: the only branches whose staff are sent a page.

    ``status`` and ``summary`` are what the branch's page says first (its status, its rate
    and its ranks, in the bulletin's own sentences), for the director's mail.
    """

    branch_id: str
    name: str
    region: str | None
    status: str | None = None
    summary: tuple[str, ...] = ()


@dataclass(frozen=True)
class Audience:
    """The recipients of one edition, and the branches no address was found for."""

    recipients: tuple[Recipient, ...]
    branches_without_address: tuple[BranchEntry, ...] = ()


def draft_audience(settings: PublishSettings) -> Audience:
    """The centre's reviewers: they read the whole draft before anyone else does."""
    return Audience(tuple(Recipient(a, "reviewer") for a in _distinct(settings.reviewers)))


def approved_audience(
    settings: PublishSettings, staff: pl.DataFrame, branches: Sequence[BranchEntry]
) -> Audience:
    """Each branch's director (and lobby manager) its page; centre and regions the whole."""
    roles = ("director", "lobby_manager") if settings.lobby_managers else ("director",)
    by_branch = _addresses_by_branch(staff, roles)
    out: list[Recipient] = []
    missing: list[BranchEntry] = []
    for branch in branches:
        people = by_branch.get(branch.branch_id, [])
        if not any(role == "director" for _, role, _ in people):
            missing.append(branch)
        out += [
            Recipient(address, role, name, branch.branch_id, branch.region, branch.name)
            for address, role, name in people
        ]
    whole = [Recipient(a, "centre") for a in _distinct(settings.centre)]
    for region, addresses in settings.regions.items():
        whole += [Recipient(a, "region", region=region) for a in _distinct(addresses)]
    return Audience(tuple(out + whole), tuple(missing))


def audience(
    edition: Edition,
    settings: PublishSettings,
    staff: pl.DataFrame,
    branches: Sequence[BranchEntry],
) -> Audience:
    """The recipients of ``edition``."""
    if edition is Edition.DRAFT:
        return draft_audience(settings)
    return approved_audience(settings, staff, branches)


def _addresses_by_branch(
    staff: pl.DataFrame, roles: Iterable[str]
) -> Mapping[str, list[tuple[str, str, str | None]]]:
    """(address, role, name) of the staff of ``roles`` with an address, by branch."""
    if "email" not in staff.columns or staff.is_empty():
        return {}  # a store imported before staff.csv had addresses
    rows = (
        staff.filter(pl.col("role").is_in(list(roles)) & pl.col("email").is_not_null())
        .sort("branch_id", "role", "staff_id")
        .select("branch_id", "email", "role", "name")
        .iter_rows()
    )
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    for branch_id, address, role, name in rows:
        people = out.setdefault(branch_id, [])
        if all(address.lower() != known.lower() for known, _, _ in people):
            people.append((address, role, name))
    return out


def _distinct(addresses: Iterable[str]) -> list[str]:
    """Addresses in their order, each once (in any case), blanks dropped."""
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out
