"""Figures stored as samples and buckets: the buckets always agree with the samples."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from collector.store import inventory
from collector.store import series as series_store
from collector.store.database import Database
from collector.store.series import FIVE_MINUTES, HOURLY, RAW, Sample

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = 86400
_names = itertools.count()


def one_host(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme", NOW)
    inventory.add_host(conn, "web-1", "acme", NOW)


def ensure_host(conn: Connection) -> None:
    try:
        inventory.get_host(conn, "web-1")
    except inventory.NotFound:
        one_host(conn)


def all_points(conn: Connection, metric: str) -> dict[str, list[series_store.Point]]:
    series_id = series_store.metrics_of(conn, "web-1")[metric]
    return {
        r.name: series_store.points(conn, series_id, r, 0, 10 * DAY)
        for r in (RAW, FIVE_MINUTES, HOURLY)
    }


moments = st.lists(
    st.tuples(
        st.integers(min_value=DAY, max_value=3 * DAY),
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    ),
    min_size=1,
    max_size=60,
    unique_by=lambda point: point[0],
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moments, st.integers(min_value=1, max_value=5))
def test_it_keeps_each_buckets_average_the_mean_of_the_raw_samples_it_covers(
    db: Database, samples: list[tuple[int, float]], batches: int
) -> None:
    db.transaction(ensure_host)  # the database outlives one example
    metric = f"m{next(_names)}"
    rows = [Sample("web-1", metric, at, value) for at, value in samples]
    for n in range(batches):  # in several transactions, in no particular order
        db.transaction(series_store.record, rows[n::batches])
    stored = db.transaction(all_points, metric)
    raw = {t: avg for t, _, avg, _ in stored["raw"]}
    assert raw == dict(samples)
    for name, step in (("5m", 300), ("1h", 3600)):
        for start, low, avg, high in stored[name]:
            covered = [v for t, v in samples if start <= t < start + step]
            assert math.isclose(avg, sum(covered) / len(covered), rel_tol=1e-9, abs_tol=1e-6)
            assert (low, high) == (min(covered), max(covered))
        assert len(stored[name]) == len({t - t % step for t, _ in samples})


def test_it_answers_each_metrics_newest_sample(db: Database) -> None:
    db.transaction(one_host)
    rows = [
        Sample("web-1", "cpu_percent", 100, 5.0),
        Sample("web-1", "cpu_percent", 160, 7.0),
        Sample("web-1", "load_1m", 130, 0.5),
    ]
    db.transaction(series_store.record, rows)
    assert db.transaction(series_store.latest, "web-1") == {
        "cpu_percent": (160, 7.0),
        "load_1m": (130, 0.5),
    }


def test_it_prunes_by_age_and_forgets_series_left_empty(db: Database) -> None:
    db.transaction(one_host)
    rows = [Sample("web-1", "old", 100, 1.0), Sample("web-1", "cpu_percent", 5 * DAY, 2.0)]
    db.transaction(series_store.record, rows)
    ids = db.transaction(series_store.series_after, 0, 10)
    for resolution in (RAW, FIVE_MINUTES, HOURLY):
        db.transaction(series_store.prune, resolution.table, ids, 4 * DAY)
    assert db.transaction(series_store.drop_empty_series, ids) == 1
    assert set(db.transaction(series_store.metrics_of, "web-1")) == {"cpu_percent"}
    assert db.transaction(all_points, "cpu_percent")["raw"] == [(5 * DAY, 2.0, 2.0, 2.0)]


def test_it_gives_every_series_its_stored_id_whether_new_or_known(db: Database) -> None:
    db.transaction(one_host)
    db.transaction(series_store.series_ids, [("web-1", f"m{i}") for i in range(0, 40, 2)])
    wanted = [("web-1", f"m{i}") for i in range(40)]
    ids = db.transaction(series_store.series_ids, wanted)
    stored = db.transaction(series_store.metrics_of, "web-1")
    assert {key: ids[key] for key in wanted} == {("web-1", m): i for m, i in stored.items()}
    assert len(stored) == 40
