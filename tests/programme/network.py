"""Hand-made branch networks: visits, transactions and triage written as canonical CSV.

A test says what happens (a customer of 60+ came on Monday at 10 for a card, the greeter
suggested the smart counter, she accepted, the specialist authorised) and gets the CSV text
that the real import takes; ``import_network`` runs that import into a real store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.metrics.period import week_start
from smartcounter.store.layout import Store

Touch = tuple[int, str | None, str, str | None]  # stage, staff, outcome, reason
Item = tuple[str, str, str | None, str | None]  # business, channel, staff, reason


@dataclass
class Network:
    """Rows of a hand-made network, turned into canonical CSV files."""

    branches: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    visits: list[str] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)
    triage: list[str] = field(default_factory=list)
    _visit: int = 0
    _txn: int = 0

    def branch(
        self,
        branch_id: str,
        branch_type: str = "urban",
        region: str = "镇江",
        staff_count: int | None = 8,
    ) -> Network:
        """Add a branch."""
        count = "" if staff_count is None else str(staff_count)
        self.branches.append(f"{branch_id},{branch_id}支行,{region},{branch_type},{count},1,2")
        return self

    def person(self, staff_id: str, branch_id: str, role: str) -> Network:
        """Add a staff member."""
        self.staff.append(f"{staff_id},{branch_id},{staff_id},{role}")
        return self

    def visit(
        self,
        branch_id: str,
        when: str,
        items: list[Item],
        *,
        age_band: str = "30-44",
        touches: tuple[Touch, ...] = (),
    ) -> str:
        """Add a visit at ``when`` (``YYYY-MM-DD HH:MM``) with its transactions and triage."""
        self._visit += 1
        vid = f"V{self._visit}"
        self.visits.append(f"{vid},{branch_id},{when}:00,,,C{self._visit},{age_band},mass")
        for n, (stage, staff, outcome, reason) in enumerate(touches):
            self.triage.append(
                f"{vid},{stage},{staff or ''},{when}:{10 + n:02d},{outcome},{reason or ''}"
            )
        for n, (code, channel, staff, reason) in enumerate(items):
            self._txn += 1
            self.transactions.append(
                f"T{self._txn},{branch_id},{when}:{30 + n:02d},{code},{channel},{staff or ''},{vid},C{self._visit},{reason or ''},"
            )
        return vid

    def many(
        self,
        branch_id: str,
        week: str,
        count: int,
        items: list[Item],
        *,
        hour: int = 10,
        age_band: str = "30-44",
        touches: tuple[Touch, ...] = (),
    ) -> Network:
        """Add ``count`` identical visits spread over the weekdays of ``week``."""
        monday = week_start(week)
        for i in range(count):
            day = monday + timedelta(days=i % 5)
            minute = (i // 5) % 50
            self.visit(
                branch_id,
                f"{day.isoformat()} {hour:02d}:{minute:02d}",
                items,
                age_band=age_band,
                touches=touches,
            )
        return self

    def rate_week(
        self,
        branch_id: str,
        week: str,
        migrated: int,
        unmigrated: int,
        *,
        business: str = "card_open",
        reason: str = "customer_declined",
        hour: int = 10,
        age_band: str = "30-44",
    ) -> Network:
        """Add one migratable visit per transaction: ``migrated`` at a smart counter, the rest not."""
        self.many(
            branch_id, week, migrated, [(business, "stm", None, None)], hour=hour, age_band=age_band
        )
        self.many(
            branch_id,
            week,
            unmigrated,
            [(business, "teller", None, reason)],
            hour=hour,
            age_band=age_band,
        )
        return self

    def files(self) -> dict[str, str]:
        """The canonical CSV files of the network."""
        out = {
            "branches.csv": "branch_id,name,region,branch_type,staff_count,smart_counters,teller_windows\n"
            + "".join(r + "\n" for r in self.branches),
            "visits.csv": "visit_id,branch_id,issued_at,ticket_no,intent,customer_id,age_band,customer_tier\n"
            + "".join(r + "\n" for r in self.visits),
            "transactions.csv": "txn_id,branch_id,ts,business_code,channel,staff_id,visit_id,customer_id,reason,duration_s\n"
            + "".join(r + "\n" for r in self.transactions),
        }
        if self.staff:
            out["staff.csv"] = "staff_id,branch_id,name,role\n" + "".join(
                r + "\n" for r in self.staff
            )
        if self.triage:
            out["triage.csv"] = "visit_id,stage,staff_id,ts,outcome,reason\n" + "".join(
                r + "\n" for r in self.triage
            )
        return out


def import_network(network: Network, folder: Path) -> Store:
    """Write the network's CSV files into ``folder``/src and import them into ``folder``/store."""
    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name, text in network.files().items():
        (src / name).write_text(text, encoding="utf-8")
    root = folder / "store"
    report = ingest_paths(
        root, [src], timezone="Asia/Shanghai", catalogue=load_catalogue(), options=IngestOptions()
    )
    assert report.rejected == 0, report
    return Store.open(root)


def pairing_network(
    extra: bool = True, weeks: tuple[str, ...] = ("2018-W07", "2018-W08", "2018-W09", "2018-W10")
) -> Network:
    """Urban group: two laggards, two advanced, four middling; L1 likes both partners, L2 only A1.

    Similarity (size by staff, business and age mix alike, region): L1–A1 0.97, L1–A2 0.69,
    L2–A1 0.96, L2–A2 0.63 — greedy takes L1–A1 first, the optimum is L1–A2 and L2–A1.
    """
    n = Network()
    n.branch("L1", region="镇江", staff_count=8).branch("L2", region="镇江", staff_count=4)
    n.branch("A1", region="镇江", staff_count=6).branch("A2", region="南通", staff_count=16)
    for f in ("F1", "F2", "F3", "F4"):
        n.branch(f, region="徐州", staff_count=8)
    if extra:
        n.branch("TINY", region="徐州", staff_count=8)
    for w in weeks:
        for b in ("L1", "L2"):
            n.rate_week(b, w, 36, 24, reason="no_guidance")
        for b in ("A1", "A2"):
            n.rate_week(b, w, 57, 3)
        for f in ("F1", "F2", "F3", "F4"):
            n.rate_week(f, w, 48, 12)
        if extra:
            n.rate_week("TINY", w, 1, 1)
    return n
