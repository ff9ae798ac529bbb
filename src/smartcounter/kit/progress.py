"""Progress reporting that services call without knowing how (or whether) it is shown."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Something that shows how far a long task has come."""

    def start(self, label: str, total: int) -> int: ...
    def advance(self, task: int, amount: int) -> None: ...
    def finish(self, task: int) -> None: ...


class NullProgress:
    """Shows nothing (tests, library use, output that is not a terminal)."""

    def start(self, label: str, total: int) -> int:
        return 0

    def advance(self, task: int, amount: int) -> None:
        return None

    def finish(self, task: int) -> None:
        return None


class RichProgress:
    """A rich progress bar on standard error; one line per task."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as _Bar

        self._bar = _Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._bar.start()

    def start(self, label: str, total: int) -> int:
        return int(self._bar.add_task(label, total=max(total, 1)))

    def advance(self, task: int, amount: int) -> None:
        self._bar.advance(task, amount)  # type: ignore[arg-type]

    def finish(self, task: int) -> None:
        total = self._bar.tasks[task].total or 1
        self._bar.update(task, completed=total)  # type: ignore[arg-type]

    def close(self) -> None:
        self._bar.stop()
