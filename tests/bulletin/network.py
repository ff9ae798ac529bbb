"""A small, seeded branch network in the canonical CSV format, for the bulletin's tests.

The four branches of the source document are in it, with their type, staff and a
rate near their published one, beside a few others of each peer group; visits,
transactions and triage touches come from one seeded generator, so a test can rebuild
the same store and know its shape (not its figures: those come from the metrics API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl


@dataclass(frozen=True)
class BranchSpec:
    """One branch: who it is, how busy, how good at migration."""

    branch_id: str
    name: str
    region: str
    branch_type: str
    staff_count: int
    smart_counters: int
    daily_tickets: float
    rate: float
    drift: float = 0.0


BRANCHES: tuple[BranchSpec, ...] = (
    BranchSpec("DY-XSK", "镇江丹阳新市口支行", "镇江", "urban", 8, 2, 70, 0.9385, 0.004),
    BranchSpec(
        "NT-KFQ", "南通经济技术开发区支行营业部", "南通", "office", 11, 3, 213, 0.9034, 0.003
    ),
    BranchSpec("CZ-LJL", "常州龙锦路支行", "常州", "micro", 6, 1, 45, 0.8123, 0.006),
    BranchSpec("LYG-DHCZ", "连云港东海城中支行", "连云港", "county", 13, 2, 106, 0.9381, 0.005),
    BranchSpec("ZJ-JK", "镇江京口支行", "镇江", "urban", 9, 2, 90, 0.78, -0.004),
    BranchSpec("CZ-XB", "常州新北支行", "常州", "urban", 7, 1, 60, 0.62, 0.012),
    BranchSpec("NT-CC", "南通崇川支行营业部", "南通", "office", 12, 2, 160, 0.71, 0.0),
    BranchSpec("ZJ-JR", "镇江句容支行营业部", "镇江", "office", 10, 2, 120, 0.86, 0.002),
    BranchSpec("NT-HM", "南通海门小微支行", "南通", "micro", 5, 1, 30, 0.90, -0.01),
    BranchSpec("LYG-HZ", "连云港海州小微支行", "连云港", "micro", 5, 1, 25, 0.55, 0.0),
    BranchSpec("CZ-LY", "常州溧阳县域支行", "常州", "county", 11, 1, 80, 0.74, 0.008),
    BranchSpec("NT-RD", "南通如东支行", "南通", "county", 10, 1, 70, 0.84, -0.002),
)

MIGRATABLE = (
    ("card_open", 6), ("card_replace", 4), ("card_loss_report", 2), ("password_reset", 5),
    ("mobile_banking_signup", 6), ("online_banking_signup", 2), ("sms_alert_signup", 3),
    ("personal_info_update", 7), ("statement_print", 5), ("transfer", 8),
    ("fx_remittance", 1), ("wealth_product", 2), ("credit_card_apply", 1),
)  # fmt: skip
FIXED = (("cash_deposit", 9), ("cash_withdrawal", 9), ("passbook", 3), ("other_counter", 3))
REASONS = (
    ("customer_declined", 8), ("elderly_unable", 5), ("device_busy", 3), ("with_cash", 4),
    ("no_guidance", 3), ("device_fault", 1), ("id_check", 1), ("not_supported", 1),
)  # fmt: skip
AGE_BANDS = ("<30", "30-44", "45-59", "60+")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛")
ROLES = ("director", "lobby_manager", "greeter", "stm_specialist")


def _weights(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], np.ndarray]:
    codes = [c for c, _ in pairs]
    w = np.array([float(n) for _, n in pairs])
    return codes, w / w.sum()


def _ts(days: np.ndarray, seconds: np.ndarray) -> list[str]:
    base = np.datetime64("1970-01-01T00:00:00")
    stamps = (days.astype("datetime64[D]") - np.datetime64("1970-01-01", "D")) + base
    full = stamps + seconds.astype("timedelta64[s]")
    return [str(x).replace("T", " ") for x in full]


def write_network(
    folder: Path,
    *,
    first_monday: date,
    weeks: int,
    seed: int,
    scale: float = 1.0,
    branches: tuple[BranchSpec, ...] = BRANCHES,
) -> None:
    """Write branches, staff, visits, transactions and triage CSVs of ``weeks`` weeks."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "branch_id": [b.branch_id for b in branches],
            "name": [b.name for b in branches],
            "region": [b.region for b in branches],
            "branch_type": [b.branch_type for b in branches],
            "staff_count": [b.staff_count for b in branches],
            "smart_counters": [b.smart_counters for b in branches],
            "teller_windows": [max(1, b.staff_count // 4) for b in branches],
        }
    ).write_csv(folder / "branches.csv")

    staff_rows: list[dict[str, str]] = []
    tellers: dict[str, list[str]] = {}
    specialists: dict[str, list[str]] = {}
    for b in branches:
        tellers[b.branch_id], specialists[b.branch_id] = [], []
        for i in range(b.staff_count):
            role = ROLES[i] if i < len(ROLES) else ("teller" if i % 3 else "wealth_manager")
            sid = f"{b.branch_id}-{i + 1:02d}"
            name = SURNAMES[rng.integers(len(SURNAMES))] + GIVEN[rng.integers(len(GIVEN))]
            staff_rows.append(
                {"staff_id": sid, "branch_id": b.branch_id, "name": name, "role": role}
            )
            if role == "teller":
                tellers[b.branch_id].append(sid)
            if role in ("stm_specialist", "lobby_manager"):
                specialists[b.branch_id].append(sid)
    pl.DataFrame(staff_rows).write_csv(folder / "staff.csv")

    mig_codes, mig_p = _weights(MIGRATABLE)
    fix_codes, fix_p = _weights(FIXED)
    reason_codes, reason_p = _weights(REASONS)
    visits: list[pl.DataFrame] = []
    txns: list[pl.DataFrame] = []
    triage: list[pl.DataFrame] = []
    hours = np.array([9, 10, 11, 12, 13, 14, 15, 16])
    hour_p = np.array([0.10, 0.18, 0.16, 0.08, 0.10, 0.16, 0.14, 0.08])
    start = np.datetime64(first_monday.isoformat(), "D")
    for b in branches:
        days = weeks * 7
        weekday = (np.arange(days) % 7) >= 5
        expected = b.daily_tickets * scale * np.where(weekday, 0.6, 1.0)
        per_day = rng.poisson(expected)
        n = int(per_day.sum())
        day = np.repeat(np.arange(days), per_day)
        week_index = day // 7
        seconds = rng.choice(hours, n, p=hour_p) * 3600 + rng.integers(0, 3600, n)
        age = rng.choice(4, n, p=[0.22, 0.33, 0.27, 0.18])
        vid = np.array([f"{b.branch_id}-V{i:06d}" for i in range(n)])
        issued = _ts(start + day, seconds)
        # Rate of the branch in each week: its level, a drift towards the last week, noise.
        level = b.rate - b.drift * (weeks - 1 - week_index) + rng.normal(0, 0.01, weeks)[week_index]
        level = np.clip(level, 0.05, 0.99)
        logit = (
            np.log(level / (1 - level)) - np.where(age == 3, 0.9, 0.0) + np.where(age == 0, 0.4, 0)
        )
        p_stm = 1 / (1 + np.exp(-logit))
        migratable = rng.random(n) < 0.58
        code = np.where(
            migratable, np.array(mig_codes)[rng.choice(len(mig_codes), n, p=mig_p)],
            np.array(fix_codes)[rng.choice(len(fix_codes), n, p=fix_p)],
        )  # fmt: skip
        stm = migratable & (rng.random(n) < p_stm)
        reason_pick = np.array(reason_codes)[rng.choice(len(reason_codes), n, p=reason_p)]
        reason = np.where(migratable & ~stm, np.where(age == 3, "elderly_unable", reason_pick), "")
        reason = np.where((reason != "") & (rng.random(n) < 0.08), "", reason)
        t_ids = tellers[b.branch_id] or specialists[b.branch_id]
        s_ids = specialists[b.branch_id] or t_ids
        staff = np.where(
            stm, np.array(s_ids)[rng.integers(len(s_ids), size=n)],
            np.array(t_ids)[rng.integers(len(t_ids), size=n)],
        )  # fmt: skip
        visits.append(
            pl.DataFrame(
                {
                    "visit_id": vid,
                    "branch_id": b.branch_id,
                    "issued_at": issued,
                    "ticket_no": [f"A{i % 1000:03d}" for i in range(n)],
                    "intent": code,
                    "customer_id": [f"C{x:07d}" for x in rng.integers(0, 10_000_000, n)],
                    "age_band": np.array(AGE_BANDS)[age],
                    "customer_tier": rng.choice(
                        ["mass", "affluent", "private"], n, p=[0.8, 0.17, 0.03]
                    ),
                }
            )
        )
        service = _ts(start + day, seconds + 300 + rng.integers(0, 900, n))
        txns.append(
            pl.DataFrame(
                {
                    "txn_id": [f"{v}-T1" for v in vid],
                    "branch_id": b.branch_id,
                    "ts": service,
                    "business_code": code,
                    "channel": np.where(stm, "stm", "teller"),
                    "staff_id": staff,
                    "visit_id": vid,
                    "customer_id": "",
                    "reason": reason,
                    "duration_s": rng.integers(60, 600, n),
                }
            )
        )
        # Triage: stage 1 at the ticket for most migratable visits; stage 2 in the hall for
        # some; stage 3 at the window for those who stayed. Accepted means they went.
        touched1 = migratable & (rng.random(n) < 0.75)
        touched2 = migratable & (rng.random(n) < 0.35)
        touched3 = migratable & ~stm & (rng.random(n) < 0.5)
        for stage, touched, offset in ((1, touched1, 20), (2, touched2, 120), (3, touched3, 290)):
            idx = np.flatnonzero(touched)
            accepted = stm[idx] & (rng.random(idx.size) < (0.8 if stage == 1 else 0.6))
            if stage == 3:
                accepted = np.zeros(idx.size, dtype=bool)
            triage.append(
                pl.DataFrame(
                    {
                        "visit_id": vid[idx],
                        "stage": stage,
                        "staff_id": np.array(s_ids)[rng.integers(len(s_ids), size=idx.size)],
                        "ts": _ts(start + day[idx], seconds[idx] + offset),
                        "outcome": np.where(accepted, "accepted", "declined"),
                        "reason": np.where(accepted, "", reason_pick[idx]),
                    }
                )
            )
    pl.concat(visits).write_csv(folder / "visits.csv")
    pl.concat(txns).write_csv(folder / "transactions.csv")
    pl.concat(triage).write_csv(folder / "triage.csv")


def monday_weeks_before(week_monday: date, weeks: int) -> date:
    """The Monday ``weeks - 1`` weeks before ``week_monday``: the first of ``weeks`` weeks."""
    return week_monday - timedelta(weeks=weeks - 1)


CITIES = ("镇江", "南通", "常州", "连云港", "扬州", "泰州", "盐城", "淮安")
STREETS = (
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "新华路",
    "文化路",
    "和平路",
    "长江路",
    "黄河路",
    "环城路",
)
SUFFIX = {"urban": "支行", "office": "支行营业部", "micro": "小微特色支行", "county": "县域支行"}


def many_branches(count: int, seed: int) -> tuple[BranchSpec, ...]:
    """The four source branches and ``count - 4`` others of every type, seeded."""
    rng = np.random.default_rng(seed)
    out = list(BRANCHES[:4])
    kinds = ("urban", "office", "micro", "county")
    busy = {"urban": 80.0, "office": 180.0, "micro": 40.0, "county": 95.0}
    for i in range(count - len(out)):
        kind = kinds[int(rng.choice(4, p=[0.4, 0.15, 0.2, 0.25]))]
        city = CITIES[i % len(CITIES)]
        street = STREETS[(i // len(CITIES)) % len(STREETS)]
        name = (
            f"{city}{street}{SUFFIX[kind]}"
            if i < len(CITIES) * len(STREETS)
            else f"{city}{street}第{i}{SUFFIX[kind]}"
        )
        out.append(
            BranchSpec(
                branch_id=f"B{i + 1:04d}",
                name=name,
                region=city,
                branch_type=kind,
                staff_count=int(rng.integers(5, 14)),
                smart_counters=int(rng.integers(1, 4)),
                daily_tickets=float(busy[kind] * rng.uniform(0.5, 1.5)),
                rate=float(np.clip(rng.beta(9, 2), 0.4, 0.98)),
                drift=float(rng.normal(0, 0.005)),
            )
        )
    return tuple(out)
