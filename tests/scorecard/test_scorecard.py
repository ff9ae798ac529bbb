"""Staff scorecards (BSC) worked out by hand: each role on its own parts, weights, director's score."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import fields, replace
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from smartcounter.cli.app import app
from smartcounter.metrics import Metrics
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.scorecard.director_scores import load_scores
from smartcounter.scorecard.figures import StaffFigures
from smartcounter.scorecard.roles import MOVABLE, ROLES
from smartcounter.scorecard.service import Context, parts_of, scorecards, weighted_score
from smartcounter.scorecard.weights import WeightsError, load_weights
from smartcounter.settings import ConfigError, ScorecardWeights, load_settings
from tests.programme.network import Network
from tests.store_database_kit import import_scores_file

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
    result = import_scores_file(s, scores)
    assert (result.read, result.imported, len(result.rejected)) == (5, 3, 2)
    return s


DEFAULTS = ScorecardWeights.model_validate({})


def _cards(store, weights=DEFAULTS, quarter="2018-Q1"):
    with Metrics(DuckDBEngine(store)) as m:
        return {
            c.figures.staff_id: c for c in scorecards(metrics=m, quarter=quarter, weights=weights)
        }


class TestByHand:
    """The shipped weights (scorecard/defaults.toml) on the network of ``_network``."""

    def test_greeter_on_door_triage_only(self, store):
        g = _cards(store)["G"]
        f = g.figures
        assert (f.s1_touches, f.s1_accepted, f.home_stage) == (8, 4, 1)
        assert set(g.parts.values) == {"s1_coverage", "s1_acceptance", "director"}
        # 8 of the branch's 12 visits with migratable business, and the only door triager:
        # 8 ÷ 12 of the door's reach.
        assert g.parts.get("s1_coverage") == pytest.approx(200 / 3)
        assert (g.parts.get("s1_acceptance"), g.parts.get("director")) == (50.0, 80.0)
        # 0.4·66.67 + 0.4·50 + 0.2·80 (weights add up to 1)
        assert g.score == pytest.approx(0.4 * 200 / 3 + 0.4 * 50 + 0.2 * 80)
        assert g.director_note == "好"

    def test_specialist_on_hall_triage_authorisations_and_their_customers(self, store):
        s = _cards(store)["S"]
        f = s.figures
        assert (f.transactions, f.authorisations, f.s2_touches, f.s2_accepted) == (8, 8, 2, 2)
        # The hall could reach 6 visits: not sent on at the door, and touched in the hall (b)
        # or not migrated (d, e); c went to the smart counter from the window. It took 2.
        assert (f.home_stage, f.home_visits, f.home_eligible, f.home_staff) == (2, 2, 6, 1)
        assert s.parts.values == {
            "s2_coverage": pytest.approx(100 / 3),
            "s2_acceptance": 100.0,
            "authorisations": 100.0,  # all 8 of the branch's, its only specialist
            "triaged_migration": 100.0,
            "director": None,
        }
        # No director's score yet: its weight goes to the other four (0.2 each).
        assert s.score == pytest.approx((100 / 3 + 100 + 100 + 100) / 4)

    def test_teller_who_re_promotes_on_stage_3_and_reasons(self, store):
        t1 = _cards(store)["T1"]
        f = t1.figures
        assert (f.s3_touches, f.s3_accepted, f.window_visits, f.promoted_visits) == (4, 2, 4, 4)
        assert (f.migratable_at_window, t1.reasoned_at_window) == (2, 2)
        assert t1.parts.values == {
            "s3_coverage": 100.0,
            "s3_acceptance": 50.0,
            "valid_reasons": 100.0,  # both kept card openings say customer_declined
            "director": 70.0,
        }
        # The old single weight set gave 59 (passed share 50 weighed 0.4).
        assert t1.score == pytest.approx(0.35 * 100 + 0.25 * 50 + 0.2 * 100 + 0.2 * 70)

    def test_teller_who_does_not(self, store):
        t2 = _cards(store)["T2"]
        assert (t2.figures.window_visits, t2.figures.promoted_visits) == (2, 0)
        # No stage-3 touch: acceptance does not apply; its weight goes to the others.
        assert t2.parts.values == {
            "s3_coverage": 0.0,
            "s3_acceptance": None,
            "valid_reasons": 100.0,  # no_guidance is a reason code (unknown/none are not)
            "director": 60.0,
        }
        assert t2.score == pytest.approx((0.35 * 0 + 0.2 * 100 + 0.2 * 60) / 0.75)

    def test_director_and_wealth_manager_without_figures_have_no_score(self, store):
        cards = _cards(store)
        assert set(cards["D"].parts.values) == {"director"} and cards["D"].score is None
        assert set(cards["W"].parts.values) == {
            "triage_acceptance",
            "triaged_migration",
            "director",
        }
        assert cards["W"].score is None

    def test_wealth_manager_on_the_referrals_they_made(self, build):
        n = _network()
        # W refers 3 customers in the hall; 2 go to the smart counter, 1 stays at T2's window.
        n.many(
            "B", WEEK, 2, [("card_open", "stm", "S", None)], touches=((2, "W", "accepted", None),)
        )
        n.many(
            "B",
            WEEK,
            1,
            [("card_open", "teller", "T2", "elderly_unable")],
            touches=((2, "W", "declined", "elderly_unable"),),
        )
        w = _cards(build(n))["W"]
        assert w.parts.values == {
            "triage_acceptance": pytest.approx(200 / 3),
            "triaged_migration": pytest.approx(200 / 3),
            "director": None,
        }
        assert w.score == pytest.approx(200 / 3)

    def test_account_manager_is_scored_as_a_wealth_manager(self, build):
        n = _network().person("A", "B", "account_manager")
        n.many(
            "B", WEEK, 1, [("card_open", "stm", "S", None)], touches=((2, "A", "accepted", None),)
        )
        a = _cards(build(n))["A"]
        assert (a.figures.role, a.role) == ("account_manager", "wealth_manager")
        assert a.score == 100.0


class TestPerfectTellerPractice:
    def test_a_teller_who_re_promotes_everyone_and_reasons_what_stays_scores_high(self, build):
        n = Network().branch("B", "county", "连云港", 4)
        for sid, role in (("S", "stm_specialist"), ("T", "teller")):
            n.person(sid, "B", role)
        # Every customer with migratable business at T's window is re-promoted; 3 of 10
        # accept (stage 3 is the last chance: most have queued already and stay), and every
        # one kept at the window carries its reason.
        n.many(
            "B", WEEK, 3, [("card_open", "stm", "S", None)], touches=((3, "T", "accepted", None),)
        )
        for reason in ("elderly_unable", "with_cash", "id_check", "device_busy"):
            n.many(
                "B",
                WEEK,
                2 if reason != "device_busy" else 1,
                [("card_open", "teller", "T", reason)],
                touches=((3, "T", "declined", reason),),
            )
        t = _cards(build(n))["T"]
        assert t.figures.referral_share == pytest.approx(0.3)  # low by the nature of stage 3
        assert t.parts.values == {
            "s3_coverage": 100.0,
            "s3_acceptance": pytest.approx(30.0),
            "valid_reasons": 100.0,
            "director": None,
        }
        assert t.score == pytest.approx((35 + 0.25 * 30 + 20) / 0.8)
        assert t.score > 75


# Which of a staff member's figures each part reads (metrics.md, Staff scorecard).
READS: dict[str, set[str]] = {
    "s1_coverage": {"hall_coverage", "home_stage"},
    "s2_coverage": {"hall_coverage", "home_stage"},
    "s3_coverage": {"window_coverage"},
    "s1_acceptance": {"s1_touches", "s1_accepted"},
    "s2_acceptance": {"s2_touches", "s2_accepted"},
    "s3_acceptance": {"s3_touches", "s3_accepted"},
    "triage_acceptance": {"acceptance_rate"},
    "valid_reasons": {"migratable_at_window", "staff_id"},
    "authorisations": {"authorisations", "branch_id"},
    "triaged_migration": {"touched_rate"},
    "director": set(),
}


def _figures(role: str, **values) -> StaffFigures:
    base = {f.name: 1 for f in fields(StaffFigures)}
    base.update(staff_id="X", branch_id="B", name="X", role=role, home_stage=2)
    for rate in (
        "acceptance_rate",
        "referral_share",
        "touched_rate",
        "window_coverage",
        "hall_coverage",
    ):
        base[rate] = 0.5
    base.update(values)
    return StaffFigures(**base)


class TestOnlyWhatTheRoleCanMove:
    @pytest.mark.parametrize("role", ROLES)
    def test_no_figure_outside_the_roles_parts_moves_its_score(self, role):
        ctx = Context(
            reasoned={"X": 1}, branch_authorisations={"B": 4}, branch_specialists={"B": 2}
        )
        read = set().union(*(READS[p] for p in DEFAULTS.of(role))) | {"role"}
        before = parts_of(_figures(role), role, DEFAULTS, ctx)
        for f in fields(StaffFigures):
            if f.name in read:
                continue
            other = 0.9 if f.name.endswith(("_rate", "_share", "_coverage")) else 7
            after = parts_of(replace(_figures(role), **{f.name: other}), role, DEFAULTS, ctx)
            assert after.values == before.values, f.name
            assert weighted_score(after) == weighted_score(before), f.name

    def test_the_branch_migration_rate_does_not_move_a_tellers_score(self, build):
        quiet, busy = _network(), _network()
        # The greeter sends 20 more customers to the smart counter: the branch rate rises.
        busy.many(
            "B", WEEK, 20, [("card_open", "stm", "S", None)], touches=((1, "G", "accepted", None),)
        )
        before, after = _cards(build(quiet)), _cards(build(busy))
        assert after["G"].score != before["G"].score
        for teller in ("T1", "T2"):
            assert after[teller].score == before[teller].score

    def test_every_shipped_part_is_one_its_role_can_move(self):
        for role in ROLES:
            assert set(DEFAULTS.of(role)) == MOVABLE[role]
        assert "triaged_migration" not in DEFAULTS.of("teller")
        assert not {"s3_coverage", "s3_acceptance"} & set(DEFAULTS.of("greeter"))

    def test_a_part_outside_the_role_is_refused(self):
        with pytest.raises(ValueError, match="teller"):
            ScorecardWeights.model_validate({"teller": {"triaged_migration": 0.5}})


class TestWeightsAreConfiguration:
    def test_a_weights_file_overrides_one_roles_part_and_keeps_the_rest(self, store, tmp_path):
        path = tmp_path / "w.toml"
        path.write_text("[scorecard.teller]\ns3_acceptance = 0\ndirector = 0.4\n", encoding="utf-8")
        weights = load_weights(DEFAULTS, path)
        assert weights.of("teller") == {"s3_coverage": 0.35, "valid_reasons": 0.2, "director": 0.4}
        assert weights.of("greeter") == DEFAULTS.of("greeter")
        cards = _cards(store, weights)
        assert "s3_acceptance" not in cards["T1"].parts.values
        assert cards["T1"].score == pytest.approx((35 + 20 + 0.4 * 70) / 0.95)
        assert cards["G"].score == _cards(store)["G"].score

    def test_role_tables_at_the_top_of_a_weights_file(self, tmp_path):
        path = tmp_path / "w.toml"
        path.write_text("[greeter]\ns1_coverage = 1\n", encoding="utf-8")
        assert load_weights(DEFAULTS, path).of("greeter")["s1_coverage"] == 1.0

    def test_a_bad_weights_file_says_why(self, tmp_path):
        for text, words in (
            ("[scorecard.greeter]\ns3_coverage = 1\n", "cannot be moved"),
            ("[scorecard.teller]\ns3_coverage = -1\n", "at least 0"),
            ("[scorecard]\nmigration = 1.0\n", "migration"),  # the old single weight set
            ("[scorecard.teller\n", "w.toml"),
        ):
            path = tmp_path / "w.toml"
            path.write_text(text, encoding="utf-8")
            with pytest.raises(WeightsError, match=re.escape(words)):
                load_weights(DEFAULTS, path)

    def test_smartcounter_toml_overrides_one_role_over_the_shipped_defaults(
        self, tmp_path, monkeypatch
    ):
        monkeypatch.delenv("SMARTCOUNTER_CONFIG", raising=False)
        (tmp_path / "smartcounter.toml").write_text(
            "[scorecard.stm_specialist]\nauthorisations = 0.5\n", encoding="utf-8"
        )
        weights = load_settings(store=tmp_path).scorecard
        assert weights.of("stm_specialist")["authorisations"] == 0.5
        assert weights.of("stm_specialist")["s2_coverage"] == 0.2
        assert weights.of("teller") == DEFAULTS.of("teller")

    def test_a_part_outside_the_role_in_smartcounter_toml_names_the_file(
        self, tmp_path, monkeypatch
    ):
        monkeypatch.delenv("SMARTCOUNTER_CONFIG", raising=False)
        path = tmp_path / "smartcounter.toml"
        path.write_text("[scorecard.teller]\ntriaged_migration = 0.5\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"smartcounter\.toml"):
            load_settings(store=tmp_path)


class TestDirectorScores:
    def test_import_rejects_with_reasons_and_replaces_on_reimport(self, store, tmp_path):
        again = tmp_path / "again.csv"
        again.write_text("staff_id,score\nG,85\n", encoding="gb18030")
        result = import_scores_file(store, again, quarter="2018-Q1")
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
    def test_csv_has_each_roles_parts_and_empty_others(self, store):
        result = CliRunner().invoke(
            app,
            ["--store", str(store.root), "scorecard", "--quarter", "2018-Q1", "--format", "csv"],
        )
        assert result.exit_code == 0, result.output
        rows = {r["staff_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
        assert list(rows) == ["D", "G", "S", "T1", "T2", "W"]
        g, t1 = rows["G"], rows["T1"]
        assert (g["branch_id"], g["role"], g["scorecard_role"]) == ("B", "greeter", "greeter")
        assert float(g["score"]) == pytest.approx(0.4 * 200 / 3 + 0.4 * 50 + 0.2 * 80, abs=1e-3)
        assert float(g["s1_coverage_part"]) == pytest.approx(200 / 3, abs=1e-3)
        assert g["s3_coverage_part"] == "" and g["valid_reasons_part"] == ""
        assert (t1["s3_coverage_part"], t1["valid_reasons_part"]) == ("100.0", "100.0")
        assert t1["s1_coverage_part"] == "" and t1["triaged_migration_part"] == ""
        assert float(t1["score"]) == pytest.approx(81.5)
        assert rows["D"]["score"] == ""

    def test_json_nulls_the_parts_a_role_has_not_got(self, store):
        result = CliRunner().invoke(
            app,
            ["--store", str(store.root), "scorecard", "--quarter", "2018-Q1", "--format", "json"],
        )
        assert result.exit_code == 0, result.output
        body = {r["staff_id"]: r for r in json.loads(result.stdout)}
        s = body["S"]
        assert s["authorisations_part"] == 100.0 and s["director_score"] is None
        assert s["s1_coverage_part"] is None and s["s3_acceptance_part"] is None
        assert body["T2"]["s3_acceptance_part"] is None  # the role's, but no stage-3 touch

    def test_the_table_has_one_section_per_role_in_the_users_language(self, store):
        for lang, words in (
            ("zh", ("柜员", "大堂引导员", "柜面再宣传覆盖", "一次分流覆盖")),
            ("en", ("Teller", "Greeter", "window re-promotion", "door triage coverage")),
        ):
            result = CliRunner().invoke(
                app,
                ["--store", str(store.root), "--lang", lang, "scorecard", "--quarter", "2018-Q1"],
            )
            assert result.exit_code == 0, result.output
            for word in words:
                assert word in result.stdout
            assert "stm_specialist" not in result.stdout and "s3_coverage" not in result.stdout

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
        assert rows["T1"][header.index("score")] == pytest.approx(81.5)
        assert rows["T1"][header.index("role")] == "Teller"
        assert rows["T1"][header.index("window re-promotion")] == 100.0
        assert rows["T1"][header.index("door triage coverage")] is None
        rules = book.worksheets[1]
        assert rules.title == "Weights and rules"
        listed = [(r[0], r[1], r[2]) for r in rules.iter_rows(min_row=2, values_only=True) if r[2]]
        assert ("Teller", "window re-promotion", 0.35) in listed
        assert ("Greeter", "window re-promotion", 0.35) not in listed

    def test_weights_file(self, store, tmp_path):
        weights = tmp_path / "w.toml"
        weights.write_text(
            "[scorecard.teller]\ns3_acceptance = 0\nvalid_reasons = 0\ndirector = 0\n"
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
        assert result.exit_code == 0, result.output
        body = {r["staff_id"]: r for r in json.loads(result.stdout)}
        assert (body["T1"]["score"], body["T2"]["score"]) == (100.0, 0.0)
        assert body["T1"]["s3_acceptance_part"] is None

    def test_a_bad_weights_file_is_a_usage_error(self, store, tmp_path):
        weights = tmp_path / "w.toml"
        weights.write_text("[scorecard.greeter]\ns3_coverage = 1\n")
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
                "--weights",
                str(weights),
            ],
        )
        assert result.exit_code == 2
        assert "Cannot use the weights file" in result.stderr and "cannot be moved" in result.stderr

    def test_usage_errors(self, store):
        runner = CliRunner()
        assert runner.invoke(app, ["--store", str(store.root), "scorecard"]).exit_code == 2
        assert (
            runner.invoke(
                app, ["--store", str(store.root), "scorecard", "--quarter", "2018-Q5"]
            ).exit_code
            == 2
        )
