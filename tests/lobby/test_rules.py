"""Routing, prompts and wait estimates as plain functions (seeded property tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.lobby.models import QueueKind, TerminalStatus
from smartcounter.lobby.prompts import CustomerFacts, RulesError, evaluate, load_rules
from smartcounter.lobby.routing import LEG_ORDER, next_queue, plan_items
from smartcounter.lobby.waits import QueueLoad, estimate_wait_s, minutes

CATALOGUE = load_catalogue()
CODES = sorted(CATALOGUE)
statuses = st.lists(st.sampled_from(list(TerminalStatus)), max_size=4)


class TestRouting:
    @settings(max_examples=200, derandomize=True)
    @given(codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=5), stm=statuses)
    def test_every_code_is_routed_by_the_catalogue_cash_leg_first(
        self, codes: list[str], stm: list[TerminalStatus]
    ) -> None:
        planned = plan_items(codes, catalogue=CATALOGUE, stm_statuses=stm)
        assert sorted(p.business_code for p in planned) == sorted(codes)
        assert [LEG_ORDER[p.route] for p in planned] == sorted(LEG_ORDER[p.route] for p in planned)
        usable = any(s is not TerminalStatus.DOWN for s in stm)
        for p in planned:
            business = CATALOGUE[p.business_code]
            if not business.migratable:
                assert p.route is QueueKind.TELLER and p.reason is None
            elif usable:
                assert p.route is QueueKind.STM
            else:
                assert p.route is QueueKind.TELLER and p.reason in ("device_fault", "not_supported")

    def test_next_queue(self) -> None:
        assert next_queue([QueueKind.STM, QueueKind.TELLER]) is QueueKind.TELLER
        assert next_queue([]) is None


class TestWaits:
    @settings(max_examples=200, derandomize=True)
    @given(
        ahead=st.integers(0, 200), busy=st.integers(0, 5), mean=st.floats(1, 3600), points=statuses
    )
    def test_more_ahead_never_waits_less_and_slow_never_beats_ok(
        self, ahead: int, busy: int, mean: float, points: list[TerminalStatus]
    ) -> None:
        load = QueueLoad(points=tuple(points), busy=busy, mean_service_s=mean)
        now = estimate_wait_s(ahead, load, slow_factor=1.6)
        later = estimate_wait_s(ahead + 1, load, slow_factor=1.6)
        if all(p is TerminalStatus.DOWN for p in points):
            assert now is None and later is None
            return
        assert now is not None and later is not None and later > now >= 0
        slower = QueueLoad(
            points=tuple(TerminalStatus.SLOW if p is TerminalStatus.OK else p for p in points),
            busy=busy,
            mean_service_s=mean,
        )
        slow = estimate_wait_s(ahead, slower, slow_factor=1.6)
        assert slow is not None and slow >= now

    def test_two_counters_halve_the_wait(self) -> None:
        one = estimate_wait_s(4, QueueLoad((TerminalStatus.OK,), 0, 300.0), slow_factor=1.6)
        two = estimate_wait_s(
            4, QueueLoad((TerminalStatus.OK, TerminalStatus.OK), 0, 300.0), slow_factor=1.6
        )
        assert one == 1200.0 and two == 600.0
        assert minutes(61) == 2 and minutes(None) is None


class TestPromptRules:
    def facts(self, **changes: object) -> CustomerFacts:
        base = {
            "tier": None,
            "age_band": None,
            "queue": "stm",
            "business": ("card_open",),
            "has_mobile_banking": None,
            "follow_up": False,
            "alternatives": (),
        }
        base.update(changes)
        return CustomerFacts(**base)  # type: ignore[arg-type]

    def test_unknown_facts_fire_nothing(self) -> None:
        assert evaluate(load_rules().prompts, self.facts()) == []

    def test_each_shipped_rule(self) -> None:
        rules = load_rules().prompts
        fired = {
            p.rule_id
            for p in evaluate(
                rules,
                self.facts(
                    tier="affluent",
                    age_band="60+",
                    has_mobile_banking=False,
                    follow_up=True,
                    alternatives=("debit_card",),
                ),
            )
        }
        assert fired == {
            "wealth_referral",
            "accompany_elderly",
            "recommend_mobile_banking",
            "follow_up",
            "digital_alternative",
        }

    def test_a_bad_rules_file_says_what_is_wrong(self, tmp_path: Path) -> None:
        bad = tmp_path / "rules.toml"
        bad.write_text('[[prompts]]\nid = "x"\nshoe_size = [42]\nmessage = "k"\n', "utf-8")
        with pytest.raises(RulesError, match="shoe_size"):
            load_rules(bad)
