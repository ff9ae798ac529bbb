"""The latest values by key, at most so many, shared by the threads of a process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """A process's memory of values also kept elsewhere (files of the store folder): the
    ``most`` last read or written; the one used longest ago goes first."""

    def __init__(self, most: int) -> None:
        self.most = most
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value of ``key`` if still kept (and then the latest used)."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: V, *, drop: Callable[[K, V], bool] | None = None) -> None:
        """Keep ``value`` as the latest; first let go of the values ``drop`` names."""
        with self._lock:
            if drop is not None:
                for old in [k for k, v in self._values.items() if drop(k, v)]:
                    del self._values[old]
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.most:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)
