"""Staff scorecards (BSC) worked out by hand: figures by role, parts, weights, director's score."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from smartcounter.cli.app import app
from smartcounter.metrics import Metrics
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.scorecard.director_scores import import_scores, load_scores
from smartcounter.scorecard.service import scorecards
from smartcounter.settings import ScorecardWeights
from tests.programme.network import Network

WEEK = "2018-W10"


def _network() -> Network:
    """One branch, one week of 2018-Q1; every visit kind twice or more (see the test for the sums)."""
    n = Network().branch("B", "county", "连云港", 6)
    for sid, role in (
        ("G", "greeter"),
        ("S", "stm_specialist"),
        ("T1", "teller"),
        ("T2", "teller"),
        ("D", "director"),
        ("W", "wealth_manager"),
    ):
        n.person(sid, "B", role)
    # a: the greeter sends them to the smart counter; the specialist authorises.
    n.many("B", WEEK, 4, [("card_open", "stm", "S", None)], touches=((1, "G", "accepted", None),))
    # b: declined at the door, accepted in the hall.
    n.many(
        "B",
        WEEK,
        2,
        [("transfer", "stm", "S", None)],
        touches=((1, "G", "declined", "customer_declined"), (2, "S", "accepted", None)),
    )
    # c: cash first at T1's window, who refers the non-cash part to the smart counter.
    n.many(
        "B",
        WEEK,
        2,
        [("cash_deposit", "teller", "T1", None), ("card_open", "stm", "S", None)],
        touches=((1, "G", "declined", "with_cash"), (3, "T1", "accepted", None)),
    )
    # d: T1 re-promotes, the customer declines and stays at the window.
    n.many(
        "B",
        WEEK,
        2,
        [("card_open", "teller", "T1", "customer_declined")],
        touches=((3, "T1", "declined", "customer_declined"),),
    )
    # e: T2 serves migratable business without a word about the smart counter.
    n.many("B", WEEK, 2, [("card_open", "teller", "T2", "no_guidance")])
    # f: cash only, nothing to migrate.
    n.many("B", WEEK, 2, [("cash_deposit", "teller", "T2", None)])
    return n


SCORES_CSV = "staff_id,quarter,score,note\nG,2018-Q1,80,好\nT1,2018-Q1,70,\nT2,2018-Q1,60,\nX9,2018-Q1,90,\nS,2018-Q1,120,\n"


@pytest.fixture
def store(build, tmp_path: Path):
    s = build(_network())
    scores = tmp_path / "scores.csv"
    scores.write_text(SCORES_CSV, encoding="utf-8")
    result = import_scores(store=s, path=scores)
    assert (result.read, result.imported, len(result.rejected)) == (5, 3, 2)
    return s


def _cards(store, weights=ScorecardWeights()):
    with Metrics(DuckDBEngine(store)) as m:
        return {
            c.figures.staff_id: c for c in scorecards(metrics=m, quarter="2018-Q1", weights=weights)
        }


class TestByHand:
    def test_greeter(self, store):
        g = _cards(store)["G"]
        f = g.figures
        assert (f.s1_touches, f.s1_accepted, f.touches) == (8, 4, 8)
        # 8 of the branch's 12 visits with migratable business, all of whose 8 migratable
        # transactions went to the smart counter.
        assert (f.touched_visits, f.touched_migratable, f.touched_migrated) == (8, 8, 8)
        assert (g.parts.migration, g.parts.triage_acceptance) == (100.0, 50.0)
        assert g.parts.triage_coverage == pytest.approx(200 / 3)
        assert g.parts.director == 80.0
        # 0.4·100 + 0.3·50 + 0.1·66.67 + 0.2·80
        assert g.score == pytest.approx(40 + 15 + 20 / 3 + 16)
        assert g.director_note == "好"

    def test_specialist_authorises_and_triages_in_the_hall(self, store):
        s = _cards(store)["S"]
        f = s.figures
        assert (f.transactions, f.authorisations, f.migratable) == (8, 8, 8)
        assert (f.s2_touches, f.s2_accepted) == (2, 2)
        # The hall could reach 6 visits: not sent on at the door, and touched in the hall (b)
        # or not migrated (d, e); c went to the smart counter from the window. It took 2.
        assert (f.home_stage, f.home_visits, f.home_eligible, f.home_staff) == (2, 2, 6, 1)
        assert s.parts.triage_coverage == pytest.approx(100 / 3)
        assert s.parts.director is None
        # No director's score yet: its weight goes to the other parts.
        assert s.score == pytest.approx((0.4 * 100 + 0.3 * 100 + 0.1 * 100 / 3) / 0.8)

    def test_teller_who_refers_to_the_smart_counter(self, store):
        t1 = _cards(store)["T1"]
        f = t1.figures
        assert (f.transactions, f.migratable, f.migratable_at_window) == (4, 2, 2)
        assert (f.s3_touches, f.s3_accepted, f.referred_migrated) == (4, 2, 2)
        assert f.referral_share == 0.5  # passed 2, kept 2
        assert (f.window_visits, f.promoted_visits) == (4, 4)
        assert (t1.parts.migration, t1.parts.triage_acceptance, t1.parts.triage_coverage) == (
            50.0,
            50.0,
            100.0,
        )
        assert t1.score == pytest.approx(0.4 * 50 + 0.3 * 50 + 0.1 * 100 + 0.2 * 70)

    def test_teller_who_does_not(self, store):
        t2 = _cards(store)["T2"]
        assert (t2.figures.migratable_at_window, t2.figures.referral_share) == (2, 0.0)
        assert t2.parts.triage_acceptance is None  # no touches: acceptance does not apply
        assert (t2.parts.migration, t2.parts.triage_coverage) == (0.0, 0.0)
        assert t2.score == pytest.approx((0.2 * 60) / (0.4 + 0.1 + 0.2))

    def test_roles_without_figures_have_no_score(self, store):
        cards = _cards(store)
        assert cards["D"].score is None and cards["W"].score is None

    def test_weights_are_configuration(self, store):
        only_migration = ScorecardWeights(
            migration=1.0, triage_acceptance=0.0, triage_coverage=0.0, director=0.0
        )
        cards = _cards(store, only_migration)
        assert {k: c.score for k, c in cards.items() if c.score is not None} == {
            "G": 100.0,
            "S": 100.0,
            "T1": 50.0,
            "T2": 0.0,
        }


class TestDirectorScores:
    def test_import_rejects_with_reasons_and_replaces_on_reimport(self, store, tmp_path):
        again = tmp_path / "again.csv"
        again.write_text("staff_id,score\nG,85\n", encoding="gb18030")
        result = import_scores(store=store, path=again, quarter="2018-Q1")
        assert (result.imported, result.updated) == (0, 1)
        assert load_scores(store)[("G", "2018-Q1")].score == 85.0

    def test_cli_import_exit_status_and_rejects(self, build, tmp_path):
        s = build(_network())
        scores = tmp_path / "s.csv"
        scores.write_text(SCORES_CSV, encoding="utf-8")
        result = CliRunner().invoke(
            app,
            ["--store", str(s.root), "scorecard", "import-scores", str(scores), "--format", "json"],
        )
        assert result.exit_code == 3
        body = json.loads(result.stdout)
        assert (body["read"], body["imported"], body["rejected"]) == (5, 3, 2)
        assert [(r["line"], r["column"]) for r in body["rejects"]] == [
            (5, "staff_id"),
            (6, "score"),
        ]


class TestCommand:
    def test_csv_one_row_per_staff_member_with_ids(self, store):
        result = CliRunner().invoke(
            app,
            ["--store", str(store.root), "scorecard", "--quarter", "2018-Q1", "--format", "csv"],
        )
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [r["staff_id"] for r in rows] == ["D", "G", "S", "T1", "T2", "W"]
        g = next(r for r in rows if r["staff_id"] == "G")
        assert g["branch_id"] == "B" and float(g["score"]) == pytest.approx(77.6667, abs=1e-3)
        assert next(r for r in rows if r["staff_id"] == "D")["score"] == ""
        assert next(r for r in rows if r["staff_id"] == "T1")["role"] == "teller"

    def test_the_table_names_roles_in_the_users_language(self, store):
        for lang, teller, greeter in (("zh", "柜员", "大堂引导员"), ("en", "Teller", "Greeter")):
            result = CliRunner().invoke(
                app,
                ["--store", str(store.root), "--lang", lang, "scorecard", "--quarter", "2018-Q1"],
            )
            assert result.exit_code == 0, result.output
            assert teller in result.stdout and greeter in result.stdout
            assert "stm_specialist" not in result.stdout

    def test_branch_filter_json_and_xlsx(self, store, tmp_path):
        path = tmp_path / "bsc.xlsx"
        result = CliRunner().invoke(
            app,
            [
                "--store",
                str(store.root),
                "--lang",
                "en",
                "scorecard",
                "--quarter",
                "2018-Q1",
                "--branch",
                "B",
                "--format",
                "json",
                "--xlsx",
                str(path),
            ],
        )
        assert result.exit_code == 0, result.output
        body = json.loads(result.stdout)
        assert {r["staff_id"] for r in body} == {"D", "G", "S", "T1", "T2", "W"}
        book = load_workbook(path)
        sheet = book.worksheets[0]
        header = [c.value for c in sheet[1]]
        assert header[0] == "staff" and "score" in header
        rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
        assert rows["T1"][header.index("score")] == pytest.approx(59.0)
        assert rows["T1"][header.index("role")] == "Teller"
        assert book.worksheets[1].title == "Weights and rules"

    def test_weights_file(self, store, tmp_path):
        weights = tmp_path / "w.toml"
        weights.write_text(
            "[scorecard]\nmigration = 1.0\ntriage_acceptance = 0\ntriage_coverage = 0\ndirector = 0\n"
        )
        result = CliRunner().invoke(
            app,
            [
                "--store",
                str(store.root),
                "scorecard",
                "--quarter",
                "2018-Q1",
                "--weights",
                str(weights),
                "--format",
                "json",
            ],
        )
        body = {r["staff_id"]: r for r in json.loads(result.stdout)}
        assert body["T1"]["score"] == 50.0

    def test_usage_errors(self, store):
        runner = CliRunner()
        assert runner.invoke(app, ["--store", str(store.root), "scorecard"]).exit_code == 2
        assert (
            runner.invoke(
                app, ["--store", str(store.root), "scorecard", "--quarter", "2018-Q5"]
            ).exit_code
            == 2
        )
