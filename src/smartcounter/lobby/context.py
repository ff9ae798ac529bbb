"""What every lobby service call needs besides the session: configuration and the clock."""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from smartcounter.canonical.catalogue import Catalogue, load_catalogue
from smartcounter.i18n import Lang, resolve_lang
from smartcounter.lobby.customers import warn_if_default_key
from smartcounter.lobby.prompts import LobbyRules, load_rules
from smartcounter.settings import LobbySettings, Settings


class Clock(Protocol):
    """Tells the time as naive UTC; tests pass a clock they move by hand."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class ManualClock:
    """A clock that stands still until moved (tests, the simulator)."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> datetime:
        """Move forward ``seconds`` and return the new time."""
        self.current += timedelta(seconds=seconds)
        return self.current


class TimedCache:
    """Values kept for a few seconds, per process (a queue's load, a branch's set-up).

    When a value runs out, the first reader is told to refresh it (gets None) while the
    others keep getting the old one until it is back, for at most as long again: the
    requests that arrive together do not all run the same queries together.
    """

    def __init__(self, seconds: float, ticks: Callable[[], float] = _time.monotonic) -> None:
        self.seconds = seconds
        self._ticks = ticks  # seconds from any start (tests pass a hand-turned one)
        self._lock = threading.Lock()
        self._values: dict[object, tuple[float, object]] = {}
        self._refreshing: dict[object, float] = {}  # key → when its refresh was handed out

    def get(self, key: object) -> object | None:
        """The value under ``key`` if fresh; None tells the caller to read it and ``put`` it."""
        if self.seconds <= 0:
            return None
        now = self._ticks()
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            expires, value = found
            if now < expires:
                return value
            if now >= expires + self.seconds:
                return None
            started = self._refreshing.get(key)
            if started is not None and now < started + self.seconds:
                return value
            self._refreshing[key] = now
            return None

    def put(self, key: object, value: object) -> None:
        """Keep ``value`` under ``key`` for the cache's seconds."""
        if self.seconds > 0:
            with self._lock:
                if len(self._values) > 10_000:
                    self._values.clear()
                    self._refreshing.clear()
                self._values[key] = (self._ticks() + self.seconds, value)
                self._refreshing.pop(key, None)

    def forget(self, key: object) -> None:
        """Drop the value under ``key``: what it was read from has changed, or is gone."""
        with self._lock:
            self._values.pop(key, None)
            self._refreshing.pop(key, None)

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._values.clear()
            self._refreshing.clear()


@dataclass(frozen=True)
class LobbyContext:
    """The catalogue, the rules, the settings, the branch time zone and the clock."""

    catalogue: Catalogue
    rules: LobbyRules
    settings: LobbySettings
    timezone: ZoneInfo
    clock: Clock
    lang: Lang = Lang.ZH
    # A new ticket's wait estimate may use a queue's load a second or two old: three
    # queries fewer per ticket, and on SQLite a shorter hold of the single write lock.
    loads: TimedCache = field(default_factory=lambda: TimedCache(0.0))
    # Issuing a ticket needs the branch's queues and terminals: kept a few seconds per
    # process instead of two queries per ticket. A change made in this process forgets
    # them at once; another worker sees it when its copy runs out.
    setups: TimedCache = field(default_factory=lambda: TimedCache(0.0))

    def now(self) -> datetime:
        """Now, as naive UTC (how the database keeps time)."""
        return self.clock.now()

    def setup_changed(self, branch_id: str) -> None:
        """Forget this worker's copy of a branch's queues and points: they were changed."""
        self.setups.forget(branch_id)

    def local(self, utc: datetime) -> datetime:
        """A naive UTC time as naive local time (how the canonical format writes it)."""
        return utc.replace(tzinfo=UTC).astimezone(self.timezone).replace(tzinfo=None)

    def local_day(self, utc: datetime) -> date:
        """The local date of a naive UTC time."""
        return self.local(utc).date()

    def today(self) -> date:
        """Today's local date."""
        return self.local_day(self.now())

    def day_start_utc(self, day: date) -> datetime:
        """Local midnight starting ``day``, as naive UTC."""
        start = datetime.combine(day, time(0), tzinfo=self.timezone)
        return start.astimezone(UTC).replace(tzinfo=None)


def build_context(settings: Settings, *, clock: Clock | None = None) -> LobbyContext:
    """The lobby context of ``settings``: catalogue and rules loaded from their files."""
    warn_if_default_key(settings.lobby, resolve_lang(settings.lang))
    return LobbyContext(
        catalogue=load_catalogue(settings.catalogue),
        rules=load_rules(settings.lobby.rules),
        settings=settings.lobby,
        timezone=ZoneInfo(settings.timezone),
        clock=clock or SystemClock(),
        lang=resolve_lang(settings.lang),
        loads=TimedCache(settings.lobby.load_cache_seconds),
        setups=TimedCache(settings.lobby.setup_cache_seconds),
    )
