"""A process's bounded memory of the latest values."""

from __future__ import annotations

from smartcounter.kit.recent import Recent


def test_the_value_used_longest_ago_goes_first() -> None:
    kept: Recent[str, int] = Recent(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # now the latest used
    kept.put("c", 3)
    assert kept.get("b") is None and kept.get("a") == 1 and kept.get("c") == 3
    assert sorted(kept) == ["a", "c"] and len(kept) == 2


def test_put_first_lets_go_of_what_drop_names() -> None:
    kept: Recent[tuple[str, str], str] = Recent(10)
    kept.put(("s1", "x"), "old")
    kept.put(("s2", "x"), "other store")
    kept.put(("s1", "y"), "new", drop=lambda key, value: key[0] == "s1" and value == "old")
    assert sorted(kept) == [("s1", "y"), ("s2", "x")]
    kept.clear()
    assert len(kept) == 0
