"""Database connection hygiene (issue 12, item 4), on both engines over HTTP.

Django's ``request_started``/``request_finished`` are sent for every request that may use
the database, in the thread where its queries run, so ``close_old_connections`` does what
it does under Django's own handlers. On a real, throw-away PostgreSQL (tests/postgres.py):
the connections a server holds are bounded by its threads, ``CONN_MAX_AGE = 0`` closes them
after each request (a handler exception included), and after PostgreSQL restarts the
server recovers without a restart of its own. Without PostgreSQL binaries the PostgreSQL
tests are skipped, saying why (``-ra`` prints it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .conftest import Server, start_server
from .postgres import Cluster, find_binaries

THREADS = 4  # BOLT_THREADS of every server here: at most 4 pool threads and 4 lanes


def serve_dbapp(engine: str, **env: str) -> Server:
    return start_server(
        ["-m", "bolt_api", "serve", "tests.apps.dbapp:api", "--engine", engine, "--port", "0"],
        engine,
        env={"BOLT_THREADS": str(THREADS), **env},
    )


def signals(client: httpx.Client) -> list[list[str]]:
    record: list[list[str]] = client.get("/signals").json()["signals"]
    return record


# -- the signals (sqlite) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_server(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp(f"dbapp-{engine}") / "db.sqlite3"
    srv = serve_dbapp(engine, BOLT_TEST_SQLITE=str(db))
    yield srv
    srv.stop()


def test_signals_around_a_pooled_def_handler(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.url) as client:
        signals(client)
        body = client.get("/sync/query").json()
        assert body["one"] == 1
        thread = body["thread"]
        assert thread.startswith("bolt-handler")
        assert signals(client) == [["started", thread], ["finished", thread]]


def test_signals_on_the_lane_of_an_async_handler(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.url) as client:
        signals(client)
        thread = client.get("/async/query").json()["thread"]
        assert thread.startswith("bolt-lane-")
        deadline = time.monotonic() + 5
        record = signals(client)
        while len(record) < 2 and time.monotonic() < deadline:  # finished: after the answer
            time.sleep(0.01)
            record += signals(client)
        assert record == [["started", thread], ["finished", thread]]


def test_no_signals_for_requests_that_cannot_touch_the_database(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.url) as client:
        signals(client)
        assert client.get("/async/nodb").json() == {"ok": True}  # never uses its lane
        time.sleep(0.05)
        assert signals(client) == []  # /signals itself runs in place: no signals either


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[Cluster]:
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
    del psycopg
    bin_dir = find_binaries()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
    cluster = Cluster(bin_dir)
    cluster.start()
    yield cluster
    cluster.stop()


def held(cluster: Cluster) -> int:
    """Connections the Bolt server holds (they carry ``application_name = bolt-test``)."""
    import psycopg

    with psycopg.connect(cluster.dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bolt-test'"
        ).fetchone()
    assert row is not None
    count: int = row[0]
    return count


def settle(cluster: Cluster, expected: int, timeout: float = 5.0) -> int:
    """``held()`` once it equals ``expected`` (closing is asynchronous), or its last value."""
    deadline = time.monotonic() + timeout
    count = held(cluster)
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        count = held(cluster)
    return count


def hammer(url: str, paths: list[str], total: int, concurrency: int = 16) -> list[int]:
    # httpx keeps an idle connection for 5 s, the server's keep-alive timeout too: a pooled
    # connection reused just as the server closes it is a "Server disconnected" (1 in 10,000
    # requests on a loaded machine). A client must give up idle connections first.
    limits = httpx.Limits(keepalive_expiry=2.0)
    with httpx.Client(base_url=url, timeout=30, limits=limits) as client:

        def one(i: int) -> int:
            return client.get(paths[i % len(paths)]).status_code

        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(one, range(total)))


def test_connections_are_bounded_by_the_threads(engine: str, postgres: Cluster) -> None:
    srv = serve_dbapp(engine, BOLT_TEST_PG=postgres.dsn, BOLT_TEST_CONN_MAX_AGE="none")
    try:
        statuses = hammer(srv.url, ["/sync/query", "/async/query"], 10_000)
        assert statuses == [200] * 10_000
        count = held(postgres)
        # persistent connections: one per pool thread and per lane at most
        assert 1 <= count <= 2 * THREADS, count
    finally:
        srv.stop()
    assert settle(postgres, 0) == 0  # the server's exit closes them


def test_conn_max_age_0_closes_after_each_request_even_on_error(
    engine: str, postgres: Cluster
) -> None:
    srv = serve_dbapp(engine, BOLT_TEST_PG=postgres.dsn)  # CONN_MAX_AGE = 0, Django's default
    try:
        assert hammer(srv.url, ["/sync/query", "/async/query"], 400) == [200] * 400
        assert settle(postgres, 0) == 0
        statuses = hammer(srv.url, ["/sync/boom", "/async/boom"], 40)
        assert statuses == [500] * 40
        assert settle(postgres, 0) == 0, "a handler exception leaked its connection"
    finally:
        srv.stop()


def test_recovers_after_a_restart_with_health_checks(engine: str, postgres: Cluster) -> None:
    srv = serve_dbapp(
        engine,
        BOLT_TEST_PG=postgres.dsn,
        BOLT_TEST_CONN_MAX_AGE="none",
        BOLT_TEST_HEALTH_CHECKS="1",
    )
    try:
        assert hammer(srv.url, ["/sync/query", "/async/query"], 200) == [200] * 200
        assert held(postgres) >= 1
        postgres.restart()
        # every thread's stale connection is checked before its first query: no error at all
        assert hammer(srv.url, ["/sync/query", "/async/query"], 200) == [200] * 200
    finally:
        srv.stop()


def test_recovers_after_a_restart_without_health_checks(engine: str, postgres: Cluster) -> None:
    srv = serve_dbapp(engine, BOLT_TEST_PG=postgres.dsn, BOLT_TEST_CONN_MAX_AGE="none")
    try:
        assert hammer(srv.url, ["/sync/query", "/async/query"], 200) == [200] * 200
        postgres.restart()
        statuses = hammer(srv.url, ["/sync/query", "/async/query"], 200, concurrency=1)
        # each thread's stale connection fails one query (a 500), and is then dropped by
        # close_old_connections at request_finished; later requests reconnect
        failures = statuses.count(500)
        assert failures <= 2 * THREADS, statuses
        assert set(statuses) <= {200, 500}
        assert statuses[-50:] == [200] * 50
    finally:
        srv.stop()
