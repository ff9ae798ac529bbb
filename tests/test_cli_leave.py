"""The command line leaves at once when a command is done (cli/leave.py), and loses nothing:
``atexit`` runs, buffered output is written, the status is the command's, and a command
whose other threads still run is waited for as Python would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartcounter.cli.lean import PLUGINS_VARIABLE as PLUGINS
from smartcounter.cli.leave import FLUSH_FAILED, exit_status


def run(body: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", body], capture_output=True, text=True)


@pytest.mark.parametrize(
    ("code", "status"), [(None, 0), (0, 0), (2, 2), (3, 3), ("stopped: bad input", 1)]
)
def test_status_is_the_command_s(code: object, status: int) -> None:
    proc = run(f"from smartcounter.cli.leave import leave\nleave({code!r})")
    assert proc.returncode == status
    assert exit_status(code) == status
    if isinstance(code, str):
        assert proc.stderr.strip() == code


def test_atexit_runs_and_buffered_output_is_written(tmp_path: Path) -> None:
    marker = tmp_path / "atexit-ran"
    body = f"""
import atexit, sys
from pathlib import Path
from smartcounter.cli.leave import leave
atexit.register(lambda: Path({str(marker)!r}).write_text("yes"))
sys.stdout.write("x" * 100_000)   # still in the buffer: a pipe is not line-buffered
sys.stderr.write("last words")
leave(3)
"""
    proc = run(body)
    assert proc.returncode == 3
    assert proc.stdout == "x" * 100_000
    assert proc.stderr == "last words"
    assert marker.read_text() == "yes"


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    done = tmp_path / "thread-done"
    body = f"""
import threading, time
from pathlib import Path
from smartcounter.cli.leave import leave
def work():
    time.sleep(0.3)
    Path({str(done)!r}).write_text("done")
threading.Thread(target=work).start()
leave(0)
"""
    proc = run(body)
    assert proc.returncode == 0, proc.stderr
    assert done.read_text() == "done"


def test_a_stream_the_command_closed_is_no_failure() -> None:
    proc = run("import sys\nfrom smartcounter.cli.leave import leave\nsys.stdout.close()\nleave(0)")
    assert proc.returncode == 0, proc.stderr


def test_the_status_is_what_the_system_keeps_of_it() -> None:
    assert run("from smartcounter.cli.leave import leave\nleave(259)").returncode == 3
    assert run("from smartcounter.cli.leave import leave\nleave(2**40)").returncode == 0


def test_a_closed_pipe_is_python_s_flush_status() -> None:
    body = """
import os, sys
from smartcounter.cli.leave import leave
r, w = os.pipe()
os.close(r)
sys.stdout = os.fdopen(w, "w")
sys.stdout.write("nobody reads this")
leave(0)
"""
    proc = run(body)
    assert proc.returncode == FLUSH_FAILED


def test_the_command_line_exits_with_the_command_s_status(tmp_path: Path) -> None:
    """Through the entry point: usage errors keep status 2, and what the command printed
    arrives (cli.md's exit statuses)."""
    main = "from smartcounter.cli.app import main; main()"
    bad = subprocess.run(
        [sys.executable, "-c", main, "--store", str(tmp_path), "rates", "--by", "nope"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "nope" in bad.stderr
    helped = subprocess.run(
        [sys.executable, "-c", main, "--help"], capture_output=True, text=True, check=True
    )
    assert "rates" in helped.stdout


@pytest.mark.parametrize(("command", "collecting"), [("rates", False), ("store", True)])
def test_the_collector_is_back_on_for_commands_that_run_long(
    tmp_path: Path, command: str, collecting: bool
) -> None:
    """Off while modules load; back on once a command runs, except the short figure
    commands (cli/app.py SHORT), which print one query's rows and end."""
    args = ["rates", "--by", "branch"] if command == "rates" else ["store", "compact"]
    probe = f"""
import atexit, gc, os, sys
from smartcounter.cli.app import main
atexit.register(lambda: print("COLLECTING", gc.isenabled(), os.environ.get({PLUGINS!r})))
sys.argv = ["smartcounter", "--store", {str(tmp_path / "none")!r}, *{args!r}]
main()
"""
    proc = run(probe)
    assert proc.returncode == 2, proc.stderr  # no store there: the command ran and stopped
    # pydantic's plugins: not looked for in a short command; as usual (the variable unset,
    # as the user left it) for the others and the processes they start
    plugins = None if collecting else "__all__"
    assert proc.stdout.strip().splitlines()[-1] == f"COLLECTING {collecting} {plugins}"


def test_a_plugin_setting_of_the_user_is_left_alone(tmp_path: Path) -> None:
    probe = f"""
import atexit, os, sys
from smartcounter.cli.app import main
atexit.register(lambda: print("PLUGINS", repr(os.environ.get({PLUGINS!r}))))
sys.argv = ["smartcounter", "--store", {str(tmp_path / "none")!r}, "store", "compact"]
main()
"""
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, PLUGINS: "logfire"},
    )
    assert proc.stdout.strip().splitlines()[-1] == "PLUGINS 'logfire'"
