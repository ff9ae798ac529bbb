"""What every lobby call shares: the per-worker caches."""

from __future__ import annotations

from smartcounter.lobby.context import TimedCache


class Ticks:
    """A hand-turned monotonic clock: the tests do not depend on how busy the machine is."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestTimedCache:
    def test_a_value_is_kept_for_its_seconds(self) -> None:
        ticks = Ticks()
        cache = TimedCache(2.0, ticks)
        cache.put("k", 1)
        ticks.now += 1.9
        assert cache.get("k") == 1
        ticks.now += 0.2
        assert cache.get("k") is None

    def test_one_reader_refreshes_a_stale_value_while_the_others_keep_it(self) -> None:
        ticks = Ticks()
        cache = TimedCache(2.0, ticks)
        cache.put("k", 1)
        ticks.now += 2.5
        assert cache.get("k") is None  # this one reads it again
        assert [cache.get("k") for _ in range(3)] == [1, 1, 1]
        cache.put("k", 2)
        assert cache.get("k") == 2

    def test_a_refresh_that_never_comes_back_is_handed_to_the_next_reader(self) -> None:
        ticks = Ticks()
        cache = TimedCache(2.0, ticks)
        cache.put("k", 1)
        ticks.now += 2.1
        assert cache.get("k") is None
        ticks.now += 1.0
        assert cache.get("k") == 1
        ticks.now += 1.05  # the first refresher has had its seconds: someone else tries
        assert cache.get("k") is None

    def test_a_value_too_old_is_refreshed_by_whoever_asks(self) -> None:
        ticks = Ticks()
        cache = TimedCache(1.0, ticks)
        cache.put("k", 1)
        ticks.now += 2.5
        assert cache.get("k") is None and cache.get("k") is None

    def test_forgotten_values_are_not_handed_out_while_refreshing(self) -> None:
        ticks = Ticks()
        cache = TimedCache(2.0, ticks)
        cache.put("k", 1)
        ticks.now += 2.5
        assert cache.get("k") is None
        cache.forget("k")  # the refresh found it gone
        assert cache.get("k") is None

    def test_no_seconds_keeps_nothing(self) -> None:
        cache = TimedCache(0)
        cache.put("k", 1)
        assert cache.get("k") is None
