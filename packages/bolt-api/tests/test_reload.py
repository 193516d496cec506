"""``--dev``'s watchers, without a server: what each sees, what it skips, which one is chosen.

The supervisor's use of them (a restart on a change, waiting out a syntax error) is tested
over real processes, once per watcher, in ``tests/test_lifecycle.py``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bolt_api.server import ProcessOptions, options_from
from bolt_api.server import _options as options_module
from bolt_api.server import _reload as reload
from bolt_api.server._reload import PollingWatcher, Watcher, WatchfilesWatcher, open_watcher

#: Files under a project root, and whether ``--dev`` looks at them.
TREE = {
    "app.py": True,
    "pkg/models.py": True,
    "pkg/deep/views.py": True,
    "notes.txt": False,
    ".git/hook.py": False,
    "pkg/__pycache__/models.py": False,
    "node_modules/x/build.py": False,
    "target/debug/gen.py": False,
    "env/lib/site.py": False,  # a virtualenv: env/pyvenv.cfg
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name in TREE:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    (root / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    return root


def watched(root: Path) -> set[str]:
    return {str(root / name) for name, seen in TREE.items() if seen}


def skipped(root: Path) -> set[str]:
    return {str(root / name) for name, seen in TREE.items() if not seen}


def touch(path: Path) -> None:
    """Change a file so that its modification time changes, whatever the clock's grain."""
    stat = path.stat()
    path.write_text(path.read_text() + "y = 2\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def first_change(watcher: Watcher, timeout: float = 15.0) -> str:
    """Ask ``watcher`` until it reports a change (a readiness poll, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while (path := watcher.changed()) is None:
        assert time.monotonic() < deadline, "no change was reported"
        time.sleep(0.02)
    return path


def test_scan_sees_python_files_outside_skipped_directories(project: Path) -> None:
    assert set(reload.scan([str(project)])) == watched(project)


def test_polling_sees_a_change_an_addition_and_a_removal(project: Path) -> None:
    watcher = PollingWatcher([str(project)], interval=0)
    assert watcher.changed() is None
    touch(project / "pkg" / "models.py")
    assert watcher.changed() == str(project / "pkg" / "models.py")
    assert watcher.changed() is None  # reported once
    (project / "pkg" / "new.py").write_text("")
    assert watcher.changed() == str(project / "pkg" / "new.py")
    (project / "app.py").unlink()
    assert watcher.changed() == str(project / "app.py")


def test_polling_ignores_skipped_files(project: Path) -> None:
    watcher = PollingWatcher([str(project)], interval=0)
    for path in skipped(project):
        touch(Path(path))
    assert watcher.changed() is None


def test_polling_waits_its_interval_between_walks(project: Path) -> None:
    watcher = PollingWatcher([str(project)], interval=3600)
    touch(project / "app.py")
    assert watcher.changed() is None  # the next walk is an hour away


@pytest.fixture
def wakes() -> list[None]:
    return []


@pytest.fixture
def events(project: Path, wakes: list[None]) -> Iterator[WatchfilesWatcher]:
    watcher = WatchfilesWatcher([str(project)], lambda: wakes.append(None), print)
    assert watcher.wait_watching() is None
    yield watcher
    watcher.close()


def test_watchfiles_reports_a_change_and_wakes_the_loop(
    events: WatchfilesWatcher, project: Path, wakes: list[None]
) -> None:
    (project / "pkg" / "deep" / "views.py").write_text("x = 2\n")
    assert first_change(events) == str(project / "pkg" / "deep" / "views.py")
    assert wakes


def test_watchfiles_ignores_skipped_files(events: WatchfilesWatcher, project: Path) -> None:
    for path in sorted(skipped(project)):
        Path(path).write_text("x = 2\n")
    (project / "pkg" / "new.py").write_text("")  # written last: every skipped event came first
    seen = {first_change(events)}
    while (more := events.changed()) is not None:
        seen.add(more)
    assert seen == {str(project / "pkg" / "new.py")}


def test_watchfiles_that_stops_gives_way_to_polling(project: Path) -> None:
    said: list[str] = []
    watcher = WatchfilesWatcher([str(project)], lambda: None, said.append)
    assert watcher.wait_watching() is None
    watcher.error = OSError("gone")  # as the watching thread records a failure
    assert watcher.changed() is None
    assert said == ["--dev: watchfiles stopped (gone); polling instead"]
    touch(project / "app.py")
    assert first_change(watcher) == str(project / "app.py")  # the polling, every 0.5 s
    watcher.close()


def choose(reloader: reload.Reloader, root: Path) -> tuple[Watcher, list[str]]:
    said: list[str] = []
    watcher = open_watcher(reloader, [str(root)], wake=lambda: None, log=said.append)
    return watcher, said


@pytest.fixture
def no_watchfiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if watchfiles were not installed."""
    for module in (reload, options_module):
        monkeypatch.setattr(module, "watchfiles_installed", lambda: False)


def closing(watcher: Watcher, check: Callable[[], bool]) -> bool:
    try:
        return check()
    finally:
        watcher.close()


def test_auto_uses_watchfiles_when_installed(project: Path) -> None:
    watcher, said = choose("auto", project)
    assert closing(watcher, lambda: isinstance(watcher, WatchfilesWatcher))
    assert said == [f"--dev: watching the .py files under {project} with watchfiles"]


@pytest.mark.usefixtures("no_watchfiles")
def test_auto_polls_without_watchfiles(project: Path) -> None:
    watcher, said = choose("auto", project)
    assert isinstance(watcher, PollingWatcher)
    assert said == [
        f"--dev: polling the .py files under {project} every 0.5s (install watchfiles, "
        "pip install 'bolt-api[dev]', to be told of changes instead)"
    ]


def test_poll_forces_polling(project: Path) -> None:
    watcher, said = choose("poll", project)
    assert isinstance(watcher, PollingWatcher)
    assert said == [f"--dev: polling the .py files under {project} every 0.5s (BOLT_RELOADER=poll)"]


def test_a_watchfiles_that_cannot_start(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    watcher, said = choose("auto", missing)  # auto: polling instead
    assert isinstance(watcher, PollingWatcher)
    assert said[0].startswith(f"--dev: polling the .py files under {missing} every 0.5s ")
    assert "watchfiles cannot watch them" in said[0]
    with pytest.raises(OSError, match="watchfiles cannot watch"):
        choose("watchfiles", missing)  # asked for by name: an error


def test_the_reloader_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOLT_RELOADER", "poll")
    assert options_from({"dev": True}).reloader == "poll"
    monkeypatch.setenv("BOLT_RELOADER", "inotify")
    with pytest.raises(ValueError, match=r"\$BOLT_RELOADER must be one of auto, watchfiles, poll"):
        options_from({"dev": True})
    monkeypatch.delenv("BOLT_RELOADER")
    assert options_from({"dev": True}).reloader == "auto"


@pytest.mark.usefixtures("no_watchfiles")
def test_asking_for_watchfiles_without_it_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"watchfiles is not installed \(pip install"):
        ProcessOptions(dev=True, reloader="watchfiles")
    assert ProcessOptions(dev=True, reloader="poll").reloader == "poll"
