"""``bulletin.json``: the bulletin's content as data, for the bank's other systems.

The same content model the HTML, workbook and PDF render, written as plain JSON: codes,
not labels (statuses as ``benchmark`` … ``no_data``), fractions for rates (0.9385), points
for changes, ``null`` where a figure is undefined. Keys are stable: systems read them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smartcounter.bulletin.content import BranchRow, BulletinContent, Headline
from smartcounter.i18n import Translator
from smartcounter.programme.status import Status, status_name
from smartcounter.views import Rate

FORMAT = "smartcounter-bulletin"
VERSION = 1


def _rate(rate: Rate) -> dict[str, Any]:
    return {
        "migratable": rate.migratable,
        "migrated": rate.migrated,
        "rate": rate.rate,
        "ci_low": rate.ci_low,
        "ci_high": rate.ci_high,
    }


def _headline(h: Headline) -> dict[str, Any]:
    return {
        **_rate(h.rate),
        "previous_rate": h.previous_rate,
        "change_pp": h.change_pp,
        "branches_listed": h.branches_listed,
        "branches_judged": h.branches_reporting,
        "branches_at_target": h.at_target,
        "share_at_target": h.share_at_target,
        "statuses": {s.value: h.statuses.get(s, 0) for s in Status},
        "month_rate": _rate(h.month_rate),
        "quarter_rate": _rate(h.quarter_rate),
        "shortfall": h.shortfall,
        "tickets": h.tickets,
        "daily_tickets": h.daily_tickets,
        "days": h.days,
        "previous_days": h.previous_days,
        "last_day": h.last_day.isoformat() if h.last_day else None,
        "partial_week": h.partial,
    }


def _branch(r: BranchRow, t: Translator, pair: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "branch_id": r.branch_id,
        "name": r.name,
        "region": r.region,
        "branch_type": r.branch_type,
        "status": r.status.value,
        "status_label": status_name(r.status, t),
        **_rate(r.rate),
        "shrunk_rate": r.shrunk_rate,
        "shrunk_low": r.shrunk_low,
        "shrunk_high": r.shrunk_high,
        "peer_rank": r.peer_rank,
        "peers": r.peers,
        "network_rank": r.network_rank,
        "previous_rate": r.previous_rate,
        "change_pp": r.change_pp,
        "previous_peer_rank": r.previous_peer_rank,
        "rank_change": r.rank_change,
        "weeks_below_target": r.weeks_below_target,
        "benchmark_rank": r.benchmark_rank,
        # What a benchmark, advanced or needs-help status rests on: its weeks and bounds.
        "basis": None
        if r.basis is None
        else {
            "weeks": r.basis.weeks,
            "rate": r.basis.rate,
            "low": r.basis.low,
            "high": r.basis.high,
        },
        "month_rate": None if r.month_rate is None else _rate(r.month_rate),
        "quarter_rate": None if r.quarter_rate is None else _rate(r.quarter_rate),
        "shortfall": r.shortfall,
        "tickets": r.tickets,
        "daily_tickets": r.daily_tickets,
        "pair": pair,
    }


def bulletin_data(content: BulletinContent) -> dict[str, Any]:
    """The bulletin of ``content`` as a JSON-ready object."""
    t = Translator(content.lang)
    pairs: dict[str, dict[str, Any]] = {}
    for p in content.pairs:
        pairs[p.branch_id] = {
            "role": "helped",
            "pair_id": p.pair_id,
            "confirmed": p.pair_id is not None,
            "partner_branch_id": p.partner_branch_id,
            "start_week": p.start_week,
        }
        pairs.setdefault(
            p.partner_branch_id,
            {"role": "partner", "helps": []},
        )
        helps = pairs[p.partner_branch_id].get("helps")
        if isinstance(helps, list):
            helps.append(p.branch_id)
    return {
        "format": FORMAT,
        "version": VERSION,
        "week": content.week,
        "week_start": content.week_start.isoformat(),
        "week_end": content.week_end.isoformat(),
        "region": content.region,
        "lang": content.lang.value,
        "target": content.target,
        "min_migratable": content.min_migratable,
        "benchmark_weeks": list(content.benchmark_weeks),
        "recent_weeks": list(content.recent_weeks),
        "generated_at": content.generated_at.isoformat(),
        "issue": {
            "issuer": content.issue.issuer,
            "year": content.issue.year,
            "number": content.issue.number,
            "issued": content.issue.issued.isoformat(),
        },
        "month_start": content.month_start.isoformat(),
        "quarter_start": content.quarter_start.isoformat(),
        "to_date_end": content.to_date_end.isoformat(),
        "headline": _headline(content.headline),  # of the scope: the network or the region
        "statuses": [s.value for s in Status],
        "branches": [_branch(r, t, pairs.get(r.branch_id)) for r in content.branches],
        "pairs": [
            {
                "pair_id": p.pair_id,
                "confirmed": p.pair_id is not None,
                "branch_id": p.branch_id,
                "partner_branch_id": p.partner_branch_id,
                "start_week": p.start_week,
            }
            for p in content.pairs
        ],
    }


def write_json(content: BulletinContent, path: Path) -> Path:
    """Write ``bulletin.json`` of ``content`` to ``path``."""
    body = json.dumps(bulletin_data(content), ensure_ascii=False, indent=1, allow_nan=False)
    path.write_text(body + "\n", encoding="utf-8")
    return path
