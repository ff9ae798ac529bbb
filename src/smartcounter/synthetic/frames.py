"""Turn simulated rows (integer arrays) into canonical frames (text columns).

Ids and timestamps are built from small lookup tables — one string per branch, staff
member, day, second of the day, ticket number — gathered by index and joined by polars,
which is several times faster than formatting dates and numbers row by row.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from smartcounter.canonical.catalogue import REASON_CODES
from smartcounter.canonical.tables import AGE_BANDS, CHANNELS, CUSTOMER_TIERS, OUTCOMES
from smartcounter.synthetic.simulate import NO_REASON, Rows

PREFIXES = ("A", "B", "V")
MAX_TICKET = 10_000


class Lookups:
    """The strings rows are made of, indexed the way the simulation counts."""

    def __init__(
        self,
        *,
        branch_ids: pl.Series,
        staff_ids: pl.Series,
        codes: tuple[str, ...],
        start: date,
        days: int,
        max_customers: int,
    ) -> None:
        self.branch_ids = branch_ids.alias("branch_id")
        self.staff_ids = staff_ids.alias("staff_id")
        self.codes = pl.Series(codes, dtype=pl.String)
        dates = [start + timedelta(days=d) for d in range(days)]
        self.dates = pl.Series([d.isoformat() for d in dates], dtype=pl.String)
        self.compact_dates = pl.Series([d.strftime("%Y%m%d") for d in dates], dtype=pl.String)
        seconds = np.arange(86_400)
        clock = pl.DataFrame({"h": seconds // 3600, "m": seconds // 60 % 60, "s": seconds % 60})
        # " HH:MM:SS": a date and this make a timestamp with one join per row.
        self.clock = (
            clock.select(
                pl.concat_str([pl.lit(" "), pl.col("h").cast(pl.String).str.zfill(2)]).alias("h"),
                pl.col("m").cast(pl.String).str.zfill(2),
                pl.col("s").cast(pl.String).str.zfill(2),
            )
            .select(pl.concat_str(["h", "m", "s"], separator=":").alias("clock"))
            .to_series()
        )
        numbers = pl.Series(np.arange(MAX_TICKET)).cast(pl.String).str.zfill(3)
        self.tickets = pl.concat([p + numbers for p in PREFIXES])
        self.customers = (
            pl.Series("c", np.arange(max_customers + 1), dtype=pl.Int64)
            .cast(pl.String)
            .str.zfill(5)
        )
        self.reasons = pl.Series(REASON_CODES, dtype=pl.String)
        self.digits = pl.Series([str(i) for i in range(10)], dtype=pl.String)

    def _ticket(self, c: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(c["prefix"] * MAX_TICKET + np.minimum(c["ticket"], MAX_TICKET - 1))

    def _reason(self, reason: np.ndarray) -> pl.Series:
        idx = pl.Series("i", reason, dtype=pl.Int64)
        idx = pl.select(pl.when(idx != NO_REASON).then(idx)).to_series()
        return self.reasons.gather(idx).alias("reason")

    def _visits(self, c: dict[str, np.ndarray]) -> pl.DataFrame:
        parts = pl.DataFrame(
            [
                self.branch_ids.gather(c["branch"]).alias("branch_id"),
                self.dates.gather(c["day"]).alias("_date"),
                self.compact_dates.gather(c["day"]).alias("_day"),
                self.tickets.gather(self._ticket(c)).alias("ticket_no"),
                self.clock.gather(c["issued"]).alias("_issued"),
                self.clock.gather(c["called"]).alias("_called"),
                self.clock.gather(c["finished"]).alias("_finished"),
                self.codes.gather(c["intent"]).alias("intent"),
                self.customers.gather(c["customer"]).alias("_customer"),
                pl.Series(AGE_BANDS).gather(c["age"]).alias("age_band"),
                pl.Series(CUSTOMER_TIERS).gather(c["tier"]).alias("customer_tier"),
            ]
        )
        return parts.select(
            pl.concat_str(["branch_id", "_day", "ticket_no"], separator="-").alias("visit_id"),
            "branch_id",
            pl.concat_str(["_date", "_issued"]).alias("issued_at"),
            "ticket_no",
            "intent",
            pl.concat_str([pl.col("branch_id"), pl.lit("-C"), pl.col("_customer")]).alias(
                "customer_id"
            ),
            "age_band",
            "customer_tier",
            pl.concat_str(["_date", "_called"]).alias("called_at"),
            pl.concat_str(["_date", "_finished"]).alias("finished_at"),
        )

    def frames(self, visits: Rows, transactions: Rows, triage: Rows) -> dict[str, pl.DataFrame]:
        """The canonical visits, transactions and triage frames of rows that belong together.

        Transactions and triage take their visit's id, branch, customer and date from the
        visits frame by position: a gather, not a second join of strings per row.
        """
        v = visits.columns
        visit_frame = self._visits(v)
        t = transactions.columns
        tv = t["visit"]
        tx = pl.DataFrame(
            [
                visit_frame.get_column("visit_id").gather(tv),
                self.digits.gather(t["leg"]).alias("_leg"),
                visit_frame.get_column("branch_id").gather(tv),
                self.dates.gather(v["day"][tv]).alias("_date"),
                self.clock.gather(t["ts"]).alias("_clock"),
                self.codes.gather(t["code"]).alias("business_code"),
                pl.Series(CHANNELS).gather(t["channel"]).alias("channel"),
                self.staff_ids.gather(t["staff"]),
                visit_frame.get_column("customer_id").gather(tv),
                self._reason(t["reason"]),
                pl.Series("duration_s", t["duration"]),
            ]
        ).select(
            pl.concat_str(["visit_id", "_leg"], separator="-").alias("txn_id"),
            "branch_id",
            pl.concat_str(["_date", "_clock"]).alias("ts"),
            "business_code",
            "channel",
            "staff_id",
            "visit_id",
            "customer_id",
            "reason",
            "duration_s",
        )
        g = triage.columns
        gv = g["visit"]
        touches = pl.DataFrame(
            [
                visit_frame.get_column("visit_id").gather(gv),
                pl.Series("stage", g["stage"]),
                self.staff_ids.gather(g["staff"]),
                self.dates.gather(v["day"][gv]).alias("_date"),
                self.clock.gather(g["ts"]).alias("_clock"),
                pl.Series(OUTCOMES).gather(g["outcome"]).alias("outcome"),
                self._reason(g["reason"]),
            ]
        ).select(
            "visit_id",
            "stage",
            "staff_id",
            pl.concat_str(["_date", "_clock"]).alias("ts"),
            "outcome",
            "reason",
        )
        return {"visits": visit_frame, "transactions": tx, "triage": touches}
