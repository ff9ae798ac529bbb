"""Rows against what came before: skipped when present, conflicts, replacement, updates."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcounter.ingest import service
from tests.ingest.ingest_kit import (
    BRANCHES,
    STAFF,
    Ingest,
    ReadRejects,
    Snapshot,
    Stored,
    WriteFolder,
    accounted,
    file_report,
    triage,
    txn,
    txns,
    visits,
)

THREE = txns(txn(txn_id="T1"), txn(txn_id="T2", channel="teller"), txn(txn_id="T3"))


class TestEveryRowAccountedFor:
    def test_read_is_the_sum_of_the_outcomes(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        body = txns(
            txn(txn_id="T1"),
            txn(txn_id="T2", channel="bus"),  # rejected
            txn(txn_id="T1"),  # skipped: same as line 2
            txn(txn_id="T3"),
            txn(txn_id="T3", channel="teller"),  # rejected: conflict with line 5
            "T4,B001",  # rejected: too few fields
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.imported, counts.skipped, counts.rejected) == (6, 2, 1, 3)
        for each in report.files:
            assert accounted(each), each


class TestReimport:
    def test_the_same_files_twice_import_nothing_the_second_time(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        store: Path,
        stored: Stored,
        store_snapshot: Snapshot,
    ) -> None:
        folder = write_folder(
            {
                "branches.csv": BRANCHES,
                "staff.csv": STAFF,
                "visits.csv": visits("V1,B001,2018-03-05 09:00:00,A001,card_open,C1,60+,mass,,"),
                "transactions.csv": THREE,
                "triage.csv": triage("V1,1,S01,2018-03-05 09:01:00,declined,elderly_unable"),
            }
        )
        first = ingest(folder)
        before = {t: stored(t) for t in ("branches", "staff", "visits", "transactions", "triage")}
        tables_before = {k: v for k, v in store_snapshot(store).items() if k.startswith("tables/")}
        second = ingest(folder)
        for counts in second.files:
            assert (counts.imported, counts.updated, counts.rejected) == (0, 0, 0), counts
            assert counts.skipped == counts.read
        assert [f.read for f in second.files] == [f.read for f in first.files]
        for table, rows in before.items():
            assert stored(table).equals(rows), table
        tables_after = {k: v for k, v in store_snapshot(store).items() if k.startswith("tables/")}
        assert tables_after == tables_before

    def test_part_new_part_old(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": THREE}))
        more = txns(txn(txn_id="T3"), txn(txn_id="T4"), txn(txn_id="T2", channel="teller"))
        report = ingest(write_folder({"transactions.csv": more}))
        counts = file_report(report, "transactions")
        assert (counts.imported, counts.skipped) == (1, 2)
        ids = stored("transactions").get_column("txn_id").to_list()
        assert ids == ["T1", "T2", "T3", "T4"]

    def test_the_same_row_twice_in_one_file(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        body = txns(txn(txn_id="T1"), txn(txn_id="T1"), txn(txn_id="T1"))
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        counts = file_report(report, "transactions")
        assert (counts.imported, counts.skipped) == (1, 2)
        assert stored("transactions").height == 1

    def test_the_same_row_in_two_files_of_one_import(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        folder = write_folder(
            {
                "branches.csv": BRANCHES,
                "transactions-monday.csv": txns(txn(txn_id="T1"), txn(txn_id="T2")),
                "transactions-tuesday.csv": txns(txn(txn_id="T2"), txn(txn_id="T3")),
            }
        )
        report = ingest(folder)
        monday, tuesday = (
            file_report(report, "transactions"),
            file_report(report, "transactions", 1),
        )
        assert (monday.imported, tuesday.imported, tuesday.skipped) == (2, 1, 1)
        assert stored("transactions").get_column("txn_id").to_list() == ["T1", "T2", "T3"]

    def test_stored_rows_read_back_a_file_at_a_time(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        stored: Stored,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Stored rows are hashed in runs of files (``STORED_CHUNK_ROWS``); one row per run
        # here, with files holding ids the import does not name (T2, T6).
        monkeypatch.setattr(service, "STORED_CHUNK_ROWS", 1)
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": THREE}))
        ingest(write_folder({"transactions.csv": txns(txn(txn_id="T4"), txn(txn_id="T6"))}))
        before = stored("transactions")
        again = txns(
            txn(txn_id="T1"),  # the same as stored: skipped
            txn(txn_id="T3", channel="teller"),  # conflicts with the stored T3: rejected
            txn(txn_id="T4"),  # skipped
            txn(txn_id="T4"),  # skipped: a repeat inside the import
            txn(txn_id="T5"),  # new
        )
        report = ingest(write_folder({"transactions.csv": again}))
        counts = file_report(report, "transactions")
        assert (counts.imported, counts.skipped, counts.rejected) == (1, 3, 1)
        rows = stored("transactions")
        assert rows.get_column("txn_id").to_list() == ["T1", "T2", "T3", "T4", "T5", "T6"]
        assert rows.filter(rows["txn_id"] != "T5").equals(before)


class TestEventConflicts:
    def test_a_conflict_keeps_the_stored_row(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        stored: Stored,
        read_rejects: ReadRejects,
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": THREE}))
        before = stored("transactions")
        changed = txns(txn(txn_id="T2", channel="stm", duration_s="99"))
        report = ingest(write_folder({"transactions.csv": changed}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.rejected, counts.imported) == (1, 1, 0)
        assert stored("transactions").equals(before)
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        assert (row["line"], row["column"], row["value"]) == ("2", "txn_id", "T2")
        assert "--replace" in row["reason"]

    def test_a_repeat_of_a_conflicting_row_conflicts_too(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": THREE}))
        before = stored("transactions")
        changed = txn(txn_id="T2", channel="stm", duration_s="99")
        report = ingest(write_folder({"transactions.csv": txns(changed, changed)}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.rejected, counts.skipped) == (2, 2, 0)
        assert stored("transactions").equals(before)

    def test_replace_replaces_and_counts_updated(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": THREE}))
        changed = txns(
            txn(txn_id="T2", channel="stm", duration_s="99"),  # replaces
            txn(txn_id="T3"),  # the same as stored: skipped
            txn(txn_id="T5"),  # new
        )
        report = ingest(write_folder({"transactions.csv": changed}), replace=True)
        counts = file_report(report, "transactions")
        assert (counts.updated, counts.skipped, counts.imported, counts.rejected) == (1, 1, 1, 0)
        rows = stored("transactions")
        assert rows.get_column("txn_id").to_list() == ["T1", "T2", "T3", "T5"]
        t2 = rows.filter(rows["txn_id"] == "T2").row(0, named=True)
        assert (t2["channel"], t2["duration_s"]) == ("stm", 99.0)

    def test_replace_moves_a_row_to_its_new_week(
        self, ingest: Ingest, write_folder: WriteFolder, store: Path, stored: Stored
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": THREE}))
        moved = txns(txn(txn_id="T1", ts="2018-03-14 10:00:00"))
        ingest(write_folder({"transactions.csv": moved}), replace=True)
        rows = stored("transactions")
        assert rows.height == 3
        weeks = sorted(p.name for p in (store / "tables" / "transactions").iterdir())
        assert weeks == ["week=2018-W10", "week=2018-W11"]

    def test_same_id_other_content_in_one_file_is_a_conflict(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        stored: Stored,
        read_rejects: ReadRejects,
    ) -> None:
        body = txns(txn(txn_id="T1"), txn(txn_id="T2"), txn(txn_id="T1", channel="teller"))
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        counts = file_report(report, "transactions")
        assert (counts.imported, counts.rejected) == (2, 1)
        t1 = stored("transactions").filter(stored("transactions")["txn_id"] == "T1")
        assert t1.get_column("channel").to_list() == ["stm"]
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        assert row["line"] == "4"
        assert "line 2" in row["reason"]

    def test_replace_does_not_settle_a_conflict_inside_the_import(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        body = txns(txn(txn_id="T1"), txn(txn_id="T1", channel="teller"))
        report = ingest(
            write_folder({"branches.csv": BRANCHES, "transactions.csv": body}), replace=True
        )
        assert file_report(report, "transactions").rejected == 1

    def test_triage_rows_are_named_by_visit_stage_and_time(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored, read_rejects: ReadRejects
    ) -> None:
        body = triage(
            "V1,1,S01,2018-03-05 09:01:00,declined,elderly_unable",
            "V1,2,S02,2018-03-05 09:03:00,accepted,",
            "V1,1,S01,2018-03-05 09:04:00,accepted,",  # the same stage later: another touch
            "V1,2,S02,2018-03-05 09:03:00,declined,other",  # conflict with line 3
        )
        report = ingest(
            write_folder({"branches.csv": BRANCHES, "staff.csv": STAFF, "triage.csv": body})
        )
        counts = file_report(report, "triage")
        assert (counts.imported, counts.rejected) == (3, 1)
        assert stored("triage").height == 3
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        # The id as the file writes it: no microseconds on the time.
        assert (row["line"], row["value"]) == ("5", "V1/2/2018-03-05 09:03:00")


class TestReferenceUpdates:
    def test_a_branch_gets_a_second_smart_counter(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES}))
        grown = BRANCHES.replace(
            "B001,丹阳新市口支行,镇江,urban,12,2,4", "B001,丹阳新市口支行,镇江,urban,12,3,4"
        )
        report = ingest(write_folder({"branches.csv": grown}))
        counts = file_report(report, "branches")
        assert (counts.read, counts.updated, counts.skipped, counts.imported) == (2, 1, 1, 0)
        rows = stored("branches")
        assert rows.height == 2
        b001 = rows.filter(rows["branch_id"] == "B001").row(0, named=True)
        assert b001["smart_counters"] == 3

    def test_same_id_other_content_in_one_reference_file_is_a_conflict(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored, read_rejects: ReadRejects
    ) -> None:
        body = BRANCHES + "B001,丹阳新市口支行,镇江,urban,12,3,4\n"
        report = ingest(write_folder({"branches.csv": body}))
        counts = file_report(report, "branches")
        assert (counts.imported, counts.rejected) == (2, 1)
        rows = stored("branches")
        assert rows.filter(rows["branch_id"] == "B001").get_column("smart_counters").to_list() == [
            2
        ]
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        assert (row["line"], row["column"], row["value"]) == ("4", "branch_id", "B001")

    def test_staff_moving_branch(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "staff.csv": STAFF}))
        moved = "staff_id,branch_id,name,role\nS01,B002,张三,teller\n"
        report = ingest(write_folder({"staff.csv": moved}))
        assert file_report(report, "staff").updated == 1
        rows = stored("staff")
        assert rows.height == 3
        assert rows.filter(rows["staff_id"] == "S01").get_column("branch_id").to_list() == ["B002"]

    def test_a_column_the_file_does_not_have_keeps_what_is_stored(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        staff = "staff_id,branch_id,name,role,email\nS01,B001,张三,director,zhang@bank.cn\n"
        ingest(write_folder({"branches.csv": BRANCHES, "staff.csv": staff}))
        # A later export without the optional columns: counts and addresses stay.
        branches = (
            "branch_id,name,region,branch_type\n"
            "B001,丹阳新市口支行,镇江,urban\n"  # as stored: skipped
            "B002,句容城区支行,镇江,county\n"  # renamed: updated, its counts kept
            "B003,新支行,镇江,micro\n"  # new: nothing stored to keep
        )
        staff = "staff_id,branch_id,name,role\nS01,B001,张三丰,director\n"
        report = ingest(write_folder({"branches.csv": branches, "staff.csv": staff}))
        counts = file_report(report, "branches")
        assert (counts.skipped, counts.updated, counts.imported) == (1, 1, 1)
        assert file_report(report, "staff").updated == 1
        rows = {r["branch_id"]: r for r in stored("branches").iter_rows(named=True)}
        assert rows["B002"]["name"] == "句容城区支行"
        assert (rows["B002"]["smart_counters"], rows["B002"]["teller_windows"]) == (1, 3)
        assert rows["B003"]["smart_counters"] is None
        (s01,) = stored("staff").iter_rows(named=True)
        assert (s01["name"], s01["email"]) == ("张三丰", "zhang@bank.cn")

    def test_an_empty_value_still_clears_a_column(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES}))
        cleared = BRANCHES.replace(
            "B001,丹阳新市口支行,镇江,urban,12,2,4", "B001,丹阳新市口支行,,urban,12,2,4"
        )
        ingest(write_folder({"branches.csv": cleared}))
        rows = stored("branches")
        assert rows.filter(rows["branch_id"] == "B001").get_column("region").to_list() == [None]


class TestReferences:
    def test_unknown_branch_is_rejected_in_every_table_naming_one(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        folder = write_folder(
            {
                "branches.csv": BRANCHES,
                "staff.csv": "staff_id,branch_id,name,role\nS9,B404,x,teller\n",
                "visits.csv": visits("V9,B404,2018-03-05 09:00:00,,,,,,,"),
                "transactions.csv": txns(txn(branch_id="B404")),
            }
        )
        report = ingest(folder)
        for table in ("staff", "visits", "transactions"):
            assert file_report(report, table).rejected == 1, table

    def test_a_branch_of_the_same_import_is_known(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": THREE}))
        assert report.rejected == 0

    def test_unknown_staff_and_visits_are_kept_and_counted(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        body = txns(
            txn(txn_id="T1", staff_id="S01", visit_id="V1"),  # both known
            txn(txn_id="T2", staff_id="S99", visit_id="V1"),  # staff unknown
            txn(txn_id="T3", staff_id="S01", visit_id="V77"),  # visit unknown
            txn(txn_id="T4", staff_id="S98", visit_id="V78"),  # both unknown
            txn(txn_id="T5", staff_id="", visit_id=""),  # none named
        )
        folder = write_folder(
            {
                "branches.csv": BRANCHES,
                "staff.csv": STAFF,
                "visits.csv": visits("V1,B001,2018-03-05 08:59:00,A001,card_open,C1,60+,mass,,"),
                "transactions.csv": body,
                "triage.csv": triage(
                    "V1,1,S01,2018-03-05 09:01:00,accepted,",
                    "V55,1,S42,2018-03-05 09:01:00,accepted,",
                ),
            }
        )
        report = ingest(folder)
        counts = file_report(report, "transactions")
        assert (counts.imported, counts.rejected, counts.unresolved) == (5, 0, 4)
        assert file_report(report, "triage").unresolved == 2
        assert stored("transactions").height == 5

    def test_a_visit_already_stored_resolves(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        ingest(
            write_folder(
                {
                    "branches.csv": BRANCHES,
                    "staff.csv": STAFF,
                    "visits.csv": visits("V1,B001,2018-03-05 08:59:00,,,,,,,"),
                }
            )
        )
        report = ingest(
            write_folder(
                {"transactions.csv": txns(txn(visit_id="V1"), txn(txn_id="T2", visit_id="V2"))}
            )
        )
        assert file_report(report, "transactions").unresolved == 1

    def test_visits_stored_in_other_weeks_and_branches_resolve_too(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        # Visits are looked for in the rows' own weeks first, then everywhere else.
        ingest(
            write_folder(
                {
                    "branches.csv": BRANCHES,
                    "staff.csv": STAFF,
                    "visits.csv": visits(
                        "V1,B001,2018-03-05 08:59:00,,,,,,,",  # the week of the rows
                        "V2,B001,2018-01-08 08:59:00,,,,,,,",  # weeks before
                        "V3,B002,2018-06-04 08:59:00,,,,,,,",  # weeks after, another branch
                    ),
                }
            )
        )
        report = ingest(
            write_folder(
                {
                    "transactions.csv": txns(
                        txn(txn_id="T1", visit_id="V1"),
                        txn(txn_id="T2", visit_id="V2"),
                        txn(txn_id="T3", visit_id="V3"),
                        txn(txn_id="T4", visit_id="V4"),
                        txn(txn_id="T5", visit_id="V4"),
                    ),
                    "triage.csv": triage(
                        "V3,1,S01,2018-03-05 09:01:00,accepted,",
                        "V9,1,S01,2018-03-05 09:01:00,accepted,",
                    ),
                }
            )
        )
        assert file_report(report, "transactions").unresolved == 2
        assert file_report(report, "triage").unresolved == 1
