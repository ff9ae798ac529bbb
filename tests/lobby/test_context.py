"""What every lobby call shares: the per-worker caches."""

from __future__ import annotations

import time

from smartcounter.lobby.context import TimedCache


class TestTimedCache:
    def test_a_value_is_kept_for_its_seconds(self) -> None:
        cache = TimedCache(0.2)
        cache.put("k", 1)
        assert cache.get("k") == 1
        time.sleep(0.25)
        assert cache.get("k") is None

    def test_one_reader_refreshes_a_stale_value_while_the_others_keep_it(self) -> None:
        cache = TimedCache(0.2)
        cache.put("k", 1)
        time.sleep(0.25)
        assert cache.get("k") is None  # this one reads it again
        assert [cache.get("k") for _ in range(3)] == [1, 1, 1]
        cache.put("k", 2)
        assert cache.get("k") == 2

    def test_a_value_too_old_is_refreshed_by_whoever_asks(self) -> None:
        cache = TimedCache(0.1)
        cache.put("k", 1)
        time.sleep(0.25)
        assert cache.get("k") is None and cache.get("k") is None

    def test_forgotten_values_are_not_handed_out_while_refreshing(self) -> None:
        cache = TimedCache(0.2)
        cache.put("k", 1)
        time.sleep(0.25)
        assert cache.get("k") is None
        cache.forget("k")  # the refresh found it gone
        assert cache.get("k") is None

    def test_no_seconds_keeps_nothing(self) -> None:
        cache = TimedCache(0)
        cache.put("k", 1)
        assert cache.get("k") is None
