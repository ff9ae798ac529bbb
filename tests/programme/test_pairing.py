"""Pairing (结对子): optimal, not greedy; caps; peer group first; sure laggards only; why."""

from __future__ import annotations

import numpy as np
import pytest

from smartcounter.metrics.period import weeks_back
from smartcounter.programme.pairing import ALIKE, assign
from smartcounter.programme.service import landscape, propose_pairs
from smartcounter.programme.similarity import similarity
from smartcounter.programme.status import Status
from tests.programme.network import Network, pairing_network

WEEKS = weeks_back("2018-W10", 4)


def _greedy(matrix: np.ndarray) -> list[tuple[int, int]]:
    """Take the most similar pair first, then the next among those left."""
    pairs, rows, cols = [], set(range(matrix.shape[0])), set(range(matrix.shape[1]))
    while rows and cols:
        i, j = max(((i, j) for i in rows for j in cols), key=lambda ij: matrix[ij])
        pairs.append((i, j))
        rows.discard(i)
        cols.discard(j)
    return sorted(pairs)


class TestAssign:
    def test_optimum_differs_from_greedy(self):
        matrix = np.array([[0.9, 0.8], [0.85, 0.1]])
        assert _greedy(matrix) == [(0, 0), (1, 1)]  # 0.9 + 0.1 = 1.0
        assert assign(matrix, capacity=[1, 1]) == [(0, 1), (1, 0)]  # 0.8 + 0.85 = 1.65

    def test_cap_replicates_an_advanced_branch(self):
        matrix = np.array([[0.9, 0.2], [0.8, 0.3], [0.7, 0.1]])
        got = assign(matrix, capacity=[2, 1])
        assert sum(1 for _, j in got if j == 0) == 2
        assert sum(matrix[i, j] for i, j in got) == pytest.approx(
            max(0.9 + 0.3 + 0.7, 0.9 + 0.8 + 0.1, 0.2 + 0.8 + 0.7)
        )

    def test_same_group_first_beats_any_similarity(self):
        matrix = np.array([[0.99, 0.01], [0.98, 0.97]])
        same = np.array([[False, True], [True, True]])
        assert assign(matrix, capacity=[1, 1], same_group=same) == [(0, 1), (1, 0)]
        assert assign(matrix, capacity=[1, 1], same_group=same, peer_group_first=False) == [
            (0, 0),
            (1, 1),
        ]

    def test_more_lagging_than_places_leaves_the_least_similar_unpaired(self):
        matrix = np.array([[0.9], [0.2], [0.5]])
        assert assign(matrix, capacity=[1]) == [(0, 0)]
        assert assign(matrix, capacity=[0]) == []


@pytest.fixture(scope="module")
def pairing_store(build_once):
    return build_once(pairing_network())


class TestProposePairs:
    @pytest.fixture
    def store(self, pairing_store):
        return pairing_store

    @pytest.fixture
    def metrics(self, store, metrics_of):
        return metrics_of(store)

    def test_laggards_and_helpers_are_the_sure_ones(self, metrics, settings):
        land = landscape(metrics=metrics, settings=settings, week="2018-W10")
        assert sorted(c.standing.branch_id for c in land.candidates(Status.NEEDS_HELP)) == [
            "L1",
            "L2",
        ]
        partners = land.candidates(Status.BENCHMARK, Status.ADVANCED)
        assert sorted(c.standing.branch_id for c in partners) == ["A1", "A2"]
        # TINY's rate (50 %) is the lowest, but eight transactions do not make it surely low.
        tiny = land.standings["TINY"]
        assert tiny.rate == 0.5 and tiny.shrunk_high > tiny.peer_mean

    def test_even_judged_on_the_rate_alone_the_tiny_branch_is_never_called_needing_help(
        self, metrics, settings
    ):
        rash = settings.model_copy(
            update={
                "programme": settings.programme.model_copy(
                    update={
                        "lagging": settings.programme.lagging.model_copy(
                            update={"certainty": "none"}
                        )
                    }
                )
            }
        )
        land = landscape(metrics=metrics, settings=rash, week="2018-W10")
        # Eight transactions are too few to judge, whatever the lagging rule's certainty.
        assert land.board.status("TINY") is Status.TOO_FEW
        assert "TINY" not in {c.standing.branch_id for c in land.candidates(Status.NEEDS_HELP)}

    def test_the_optimal_pairing_is_not_the_greedy_one(self, metrics, settings):
        report = propose_pairs(metrics=metrics, settings=settings, week="2018-W10")
        got = {p.lagging.standing.branch_id: p.partner.standing.branch_id for p in report.proposed}
        assert got == {"L1": "A2", "L2": "A1"}
        profiles = report.landscape.profiles
        rows, cols = ["L1", "L2"], ["A1", "A2"]
        matrix = np.array(
            [
                [
                    similarity(profiles[r], profiles[c], settings.programme.pairing).total
                    for c in cols
                ]
                for r in rows
            ]
        )
        # Greedy would give A1 to L1 (the most alike pair) and leave L2 with A2.
        assert _greedy(matrix) == [(0, 0), (1, 1)]
        optimal = matrix[0, 1] + matrix[1, 0]
        assert optimal > matrix[0, 0] + matrix[1, 1]

    def test_every_pair_says_why(self, metrics, settings):
        report = propose_pairs(metrics=metrics, settings=settings, week="2018-W10")
        for p in report.proposed:
            codes = [w.code for w in p.why]
            assert codes[0].startswith("lagging_") and any(c.startswith("advanced_") for c in codes)
            assert "same_peer_group" in codes
            # Alike or not, each part is said as its score has it (figures either way).
            for part in ("size", "business_mix"):
                score = getattr(p.similarity, part)
                said = part if score >= ALIKE else f"{part}_differs"
                assert said in codes, (part, score, codes)
        l2 = next(p for p in report.proposed if p.lagging.standing.branch_id == "L2")
        assert "same_region" in [w.code for w in l2.why]

    def test_cap_lets_one_advanced_branch_help_two(self, build, metrics_of, settings):
        n = pairing_network(extra=False)
        n.branches = [b for b in n.branches if not b.startswith("A2,")]
        n.transactions = [t for t in n.transactions if ",A2," not in t]
        n.visits = [v for v in n.visits if ",A2," not in v]
        metrics = metrics_of(build(n))
        one = propose_pairs(metrics=metrics, settings=settings, week="2018-W10")
        assert len(one.proposed) == 1 and len(one.unpaired) == 1
        two = propose_pairs(metrics=metrics, settings=settings, week="2018-W10", cap=2)
        assert {p.partner.standing.branch_id for p in two.proposed} == {"A1"} and len(
            two.proposed
        ) == 2


class TestPeerGroupFirst:
    def test_a_partner_of_the_same_group_before_a_closer_one_of_another(
        self, build, metrics_of, settings
    ):
        n = Network()
        # Micro group: the laggard, an advanced micro branch unlike it, two middling.
        n.branch("LM", "micro", "镇江", 6).branch("AM", "micro", "南通", 20)
        n.branch("FM1", "micro", "徐州", 6).branch("FM2", "micro", "徐州", 6)
        # Urban group: an advanced branch just like the laggard, and two middling.
        n.branch("AU", "urban", "镇江", 6).branch("FU1", "urban", "徐州", 8).branch(
            "FU2", "urban", "徐州", 8
        )
        for w in WEEKS:
            n.rate_week("LM", w, 36, 24)
            n.rate_week("AM", w, 57, 3, business="transfer")
            n.rate_week("AU", w, 57, 3)
            for f in ("FM1", "FM2", "FU1", "FU2"):
                n.rate_week(f, w, 48, 12)
        metrics = metrics_of(build(n))
        report = propose_pairs(metrics=metrics, settings=settings, week="2018-W10")
        got = {p.lagging.standing.branch_id: p for p in report.proposed}
        assert got["LM"].partner.standing.branch_id == "AM"
        assert got["LM"].similarity.same_peer_group
        flat = settings.programme.pairing.model_copy(update={"peer_group_first": False})
        loose = settings.model_copy(
            update={"programme": settings.programme.model_copy(update={"pairing": flat})}
        )
        report = propose_pairs(metrics=metrics, settings=loose, week="2018-W10")
        lm = next(p for p in report.proposed if p.lagging.standing.branch_id == "LM")
        assert lm.partner.standing.branch_id == "AU"
        assert "other_peer_group" in [w.code for w in lm.why]


def test_a_part_below_alike_is_said_to_differ_in_both_languages() -> None:
    from smartcounter.i18n import Lang, messages
    from smartcounter.programme.pairing import _alike

    assert _alike("size", 0.30) == "size_differs"
    assert _alike("age_mix", ALIKE) == "age_mix"
    for lang in Lang:
        for part in ("size", "business_mix", "age_mix"):
            assert f"programme.why.{part}_differs" in messages(lang)
