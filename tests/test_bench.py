"""`run.py bench` end to end at a tiny size (its own redis-server and server, 2 clients, about
a second of load, half-second ceilings, then the same with 2 workers; and on a private
PostgreSQL, one host then 2), and the latency histogram it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import run as run_py
from clients import loadgen
from server.storage.private_postgres import NOT_INSTALLED, bin_dir
from server.tools import risk_figures

ROOT = Path(__file__).resolve().parent.parent
FIGURES = (
    "bets_per_s", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "errors", "flusher_lag_p99_ms",
    "server_cpu_s", "bets_per_cpu_s", "ceiling_ws_echo_per_s", "ceiling_redis_evalsha_per_s",
    "ratio_to_ws_echo", "ratio_to_redis_evalsha", "bytes_per_idle_session",
    "risk_rules_per_s", "risk_alert_lag_p99_ms", "risk_catch_up_s",
)  # fmt: skip


@pytest.mark.slow
def test_a_tiny_bench_run_writes_every_figure_and_prints_progress_and_histogram(
    tmp_path: Path,
) -> None:
    result_file = tmp_path / "bench.json"
    command = [
        sys.executable, "run.py", "bench", "--clients", "2", "--seconds", "1", "--warmup",
        "0.5", "--ceiling-seconds", "0.5", "--idle", "20", "--workers", "2",
        "--json", str(result_file),
    ]  # fmt: skip
    run = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "CASINO_NO_BOOTSTRAP": "1", "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(result_file.read_text())
    assert [name for name in FIGURES if not isinstance(figures.get(name), int | float)] == []
    assert (figures["workers"], figures["clients"], figures["errors"]) == (1, 2, 0)
    assert (figures["database"], figures["hosts"]) == ("sqlite", 1)
    assert figures["bets_per_s"] > 0
    assert figures["risk_rules_per_s"] > 0  # every spin is judged; players this fast are hits
    assert figures["p50_ms"] <= figures["p90_ms"] <= figures["p99_ms"] <= figures["p999_ms"]
    requests = round(figures["bets_per_s"] * figures["seconds"])
    assert sum(count for _, count in figures["histogram"]) == requests
    assert (figures["idle_sessions"], figures["idle_sessions_open"]) == (20, 20)
    assert figures["ratio_to_ws_echo"] == round(
        figures["bets_per_s"] / figures["ceiling_ws_echo_per_s"], 4
    )
    one, two = figures["runs"]
    assert (one["workers"], two["workers"], figures["scaling_workers"]) == (1, 2, 2)
    assert figures["scaling_bets_per_cpu_s_ratio"] == round(
        two["bets_per_cpu_s"] / one["bets_per_cpu_s"], 4
    )
    assert "load 100%" in run.stdout
    assert "<= 1 ms" in run.stdout and "> 250 ms" in run.stdout
    assert "#" in run.stdout


@pytest.mark.slow
@pytest.mark.skipif(bin_dir() is None, reason=NOT_INSTALLED)
def test_a_tiny_bench_on_postgres_with_two_hosts_names_the_database_and_hosts_of_each_run(
    tmp_path: Path,
) -> None:
    result_file = tmp_path / "bench.json"
    command = [
        sys.executable, "run.py", "bench", "--clients", "2", "--seconds", "1", "--warmup",
        "0.5", "--no-ceilings", "--hosts", "2", "--database", "postgres",
        "--json", str(result_file),
    ]  # fmt: skip
    run = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "CASINO_NO_BOOTSTRAP": "1", "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(result_file.read_text())
    one, two = figures["runs"]
    assert [(r["database"], r["hosts"], r["workers"]) for r in (one, two)] == [
        ("postgres", 1, 1),
        ("postgres", 2, 1),
    ]
    for each in (one, two):
        named = ("bets_per_s", "p99_ms", "flusher_lag_p99_ms", "bets_per_cpu_s", "server_cpu_s")
        assert [name for name in named if not isinstance(each.get(name), int | float)] == []
        assert each["errors"] == 0
        assert each["rounds_flushed"] > 0  # the lag is read from PostgreSQL's rounds
    assert figures["scaling_hosts"] == 2
    assert figures["scaling_hosts_bets_per_cpu_s_ratio"] == round(
        two["bets_per_cpu_s"] / one["bets_per_cpu_s"], 4
    )
    assert "postgres, 2 host(s) of 1 worker(s):" in run.stdout
    assert "bets per server CPU-second, 2 hosts vs 1:" in run.stdout


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["bench", "--database", "postgres"], True),
        (["bench", "--clients", "4", "--database=postgres"], True),
        (["bench", "--database", "sqlite"], False),
        (["bench"], False),
        (["serve", "--database", "postgres"], False),
    ],
)
def test_run_py_installs_postgresql_for_a_bench_on_postgres_only(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], wanted: bool
) -> None:
    monkeypatch.setattr(sys, "argv", ["run.py", *argv])
    assert run_py._bench_on_postgres(argv[0]) is wanted


def test_the_histogram_counts_each_latency_in_the_first_bucket_that_holds_it() -> None:
    ms = 1_000_000
    latencies = [ms // 4, ms // 2, ms, ms + 1, 3 * ms, 15 * ms, 16 * ms, 300 * ms, 400 * ms]
    counts = dict(loadgen.histogram(latencies, buckets_ms=(0.5, 1, 5, 15, 250)))
    assert counts == {
        "<= 0.5 ms": 2,
        "<= 1 ms": 1,
        "<= 5 ms": 2,
        "<= 15 ms": 1,
        "<= 250 ms": 1,
        "> 250 ms": 2,
    }


def test_an_empty_run_has_an_empty_histogram() -> None:
    assert [count for _, count in loadgen.histogram([])] == [0] * 11


def _lag_buckets(counts: dict[str, float]) -> risk_figures.Samples:
    name = f"{risk_figures.LAG}_bucket"
    return {(name, frozenset({("le", le)})): count for le, count in counts.items()}


def test_the_risk_lag_p99_is_the_bound_of_the_bucket_that_holds_it() -> None:
    before = _lag_buckets({"0.01": 5, "0.025": 5, "0.05": 5, "+Inf": 5})
    # 100 hits in the run: 90 within 10 ms, 9 more within 25 ms, the last within 50 ms.
    after = _lag_buckets({"0.01": 95, "0.025": 104, "0.05": 105, "+Inf": 105})
    assert risk_figures.lag_quantile_ms(before, after, 0.99) == 25.0
    assert risk_figures.lag_quantile_ms(before, after, 0.5) == 10.0
    assert risk_figures.lag_quantile_ms(before, after, 1.0) == 50.0


def test_a_run_without_hits_has_no_risk_lag() -> None:
    same = _lag_buckets({"0.01": 5, "+Inf": 5})
    assert risk_figures.lag_quantile_ms(same, same, 0.99) is None
