from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# Compiled modules are cached in __pycache__ (ignored by git) even where the
# environment asks Python not to write them (PYTHONDONTWRITEBYTECODE): the suite
# starts some forty interpreters (workers, `posture` processes, fresh-import
# checks), and each would otherwise compile the package and the tests again.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


# A test worker holds far more than a run of the program does (the test modules,
# Textual, Bumble, numpy and hypothesis at once) while the UI tests churn through
# short-lived widgets and strips. With the collector's default thresholds (700, 10,
# 10) about a quarter of the suite's CPU went to it, most of that in full
# collections walking all of it again (31 s of about 130 s on two cores); with a
# larger young generation they are rare. During collection, that is all there is.
gc.set_threshold(50_000, 20, 10)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection loaded (the libraries, the test modules) stays to the end:
    frozen, no later collection walks it. From here on garbage is collected once
    after each test instead of by allocation counts (below)."""
    gc.collect()
    gc.freeze()
    gc.disable()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Garbage is collected after each test, and what survives it (module fixtures,
    caches) is frozen with the rest. A young-generation collection walks every
    young object still alive, and a test's objects were walked many times over
    while they lived; once at the end, most of them have died by reference count
    and are never walked at all. Over a whole run: 10-11 s of collector CPU before,
    6-7 s after. No test relies on when garbage is collected (whatever must be
    closed is closed by its fixture), and none makes enough cyclic garbage to need
    collecting while it runs. What is frozen is never collected in that worker,
    even if it becomes garbage later: peak memory is lower all the same (182-197 MB
    against 205-209 MB), and collecting without freezing walked the survivors again
    after every test (42-51 s)."""
    yield
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """pytest collects five times over at exit, to find finalizers that raised; one
    collection here finds them, and freezing what survives it keeps the other four
    from walking a worker's whole heap again (about 0.5 s each)."""
    gc.collect()
    gc.freeze()


#: Beyond this the real-time tests (processes killed and restarted) only compete
#: for the machine, and a container may see many more cores than its CPU quota.
MAX_WORKERS = 8


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The whole suite (no paths given) runs on one worker process more than there
    are cores when pytest-xdist is installed: the suite is CPU-bound but for a few
    tests that wait in real time for other processes (``kill -9`` and restarts), and
    the extra worker keeps every core busy while one of them waits (on two cores:
    96-101 s with three workers, 101-110 s with two). One file per worker at a time,
    so a module's shared fixtures are built once. Paths given, ``-n N`` or
    ``-p no:xdist`` run as asked."""
    if (
        config.pluginmanager.hasplugin("xdist")
        and not hasattr(config, "workerinput")  # a worker runs what it is given
        and "PYTEST_XDIST_WORKER" not in os.environ
        and getattr(config.option, "numprocesses", None) is None
        and config.args_source is pytest.Config.ArgsSource.TESTPATHS
        and not config.getoption("usepdb")
        and not config.getoption("collectonly")
    ):
        config.option.numprocesses = min(_cores(), MAX_WORKERS - 1) + 1
        if config.option.dist == "no":
            config.option.dist = "loadfile"
            # The files' order is ours (pytest_collection_modifyitems, told to each
            # worker by pytest_configure_node).
            config.option.loadscopereorder = False
            config.option.posture_suite_order = True


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "start_early: a test file that mostly waits on other processes (mypy, a tracker "
        "killed and restarted); started before the rest so its waits overlap their work",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist's controller, for each worker it starts."""
    node.workerinput["posture_suite_order"] = getattr(node.config.option, "posture_suite_order", False)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files marked ``start_early`` run first, then the others by their number of
    tests, most first (as pytest-xdist orders them by itself). Run where that order
    happened to put them, the type check of a fresh clone (about 18 s on one core,
    the cache cold) or a kill -9 and restart (13 s of waiting) finished alone after
    the rest of the suite, 10-14 s later. Tests keep their order within a file, and
    the order is the same in every worker (pytest-xdist requires it). Only for the
    whole suite on workers (above): paths given run in the order given."""
    if not getattr(config, "workerinput", {}).get("posture_suite_order", False):
        return
    per_file: dict[Path, list[pytest.Item]] = {}
    for item in items:
        per_file.setdefault(item.path, []).append(item)
    files = sorted(
        per_file.values(), key=lambda tests: (tests[0].get_closest_marker("start_early") is None, -len(tests))
    )
    items[:] = [item for tests in files for item in tests]


@pytest.fixture(autouse=True)
def posture_home(tmp_path, monkeypatch):
    """Every test gets its own config and data directories."""
    home = tmp_path / "posture-home"
    monkeypatch.setenv("POSTURE_HOME", str(home))
    return home


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not present at {SHARED_DATA}")
    return SHARED_DATA


class _VirtualClockPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        from companion.sim.clock import VirtualClockLoop

        return VirtualClockLoop()


def _loop_time() -> float:
    """The running loop's clock; the real monotonic clock outside a loop."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()


def pytest_asyncio_loop_factories(config, item):
    """Every ``async def`` test runs on the virtual clock: see :func:`virtual_time`."""
    from companion.sim.clock import VirtualClockLoop

    return {"virtual_clock": VirtualClockLoop}


@pytest.fixture(autouse=True)
def _textual_on_the_loop_clock(request, monkeypatch) -> None:
    """An ``async def`` test's Textual timers read its loop's (virtual) clock."""
    if request.node.get_closest_marker("asyncio") is not None or asyncio.iscoroutinefunction(
        getattr(request.node, "function", None)
    ):
        _follow_the_loop_clock(monkeypatch)


def _follow_the_loop_clock(monkeypatch) -> None:
    import textual._parser
    import textual._time

    monkeypatch.setattr(textual._time, "get_time", _loop_time)
    monkeypatch.setattr(textual._parser, "get_time", _loop_time)


@pytest.fixture
def virtual_time(monkeypatch) -> Iterator[Callable[[Coroutine[Any, Any, Any]], Any]]:
    """Run asyncio on the virtual clock (``companion.sim.clock``) for this test.

    Every loop made while the test runs (``asyncio.run`` in the CLI, ``App.run`` in a
    snapshot, the returned runner) jumps to its next timer when idle, so simulated
    minutes cost only CPU. Textual's timers and messages read the same clock, so an
    app's intervals and timeouts keep their meaning on it. Returns a runner for a
    coroutine.
    """
    from companion.sim.clock import run_virtual

    _follow_the_loop_clock(monkeypatch)
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(_VirtualClockPolicy())
    try:
        yield run_virtual
    finally:
        asyncio.set_event_loop_policy(previous)
