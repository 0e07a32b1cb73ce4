"""Every core used: the ordered pool, ``solve --workers`` and ``bench --workers``: the same output, in input order.

No test here times anything: the speed-ups are measured by hand (the
machine these tests run on may have one free core or none).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import domains
import hybrid_hrm as hh
from domains.collections import collection_lines
from hybrid_hrm.bench import run_benchmark
from hybrid_hrm.bench_methods import BenchConfig
from hybrid_hrm.cli import main
from hybrid_hrm.parallel import OrderedPool, available_cores, chunks, map_ordered, resolve_workers, thread_map
from solvers.errors import ConfigError, WorkerError
from tests.conftest import HARD


def _late_for_small(x: int) -> int:
    """Small items finish last: the pool must still give them back first."""
    time.sleep(0.02 * (5 - x))
    return x * x


def test_the_pool_keeps_input_order_and_a_bounded_window():
    with OrderedPool(2) as pool:
        assert list(pool.imap(_late_for_small, range(5), window=3)) == [0, 1, 4, 9, 16]
    seen = []
    assert map_ordered(_late_for_small, [3, 1], workers=2, progress=seen.append) == [9, 1] and seen == [9, 1]


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def _dies_on_two(x: int) -> int:
    if x == 2:
        os._exit(7)
    return x


def test_a_worker_error_comes_in_order_and_the_pool_goes_on():
    with OrderedPool(2) as pool:
        got = []
        with pytest.raises(ValueError, match="three"):
            for value in pool.imap(_fails_on_three, range(8)):
                got.append(value)
        assert got == [0, 1, 2]
        # The call left early still had items in flight: their replies must not leak into the next call.
        assert list(pool.imap(_late_for_small, range(5))) == [0, 1, 4, 9, 16]


def test_a_worker_that_dies_is_a_typed_error_and_nothing_hangs():
    start = time.monotonic()
    with pytest.raises(WorkerError, match="exit code 7"):
        with OrderedPool(2) as pool:
            list(pool.imap(_dies_on_two, range(6)))
    assert time.monotonic() - start < 30
    assert not any(worker.process.is_alive() for worker in pool._workers)


def _raises(*args) -> None:
    raise RuntimeError("no start")


def test_a_failing_initializer_an_unpicklable_task_and_interleaved_calls_are_errors_not_hangs():
    with pytest.raises(WorkerError, match="died"):
        with OrderedPool(2, _raises) as pool:
            list(pool.imap(abs, range(4)))
    with OrderedPool(2) as pool:
        with pytest.raises(Exception, match="pickle|lambda"):
            list(pool.imap(lambda x: x, [1, 2]))
        assert list(pool.imap(abs, [-1, -2, -3])) == [1, 2, 3]  # no worker was lost
        first = pool.imap(abs, [-1, -2, -3])
        assert next(first) == 1
        assert list(pool.imap(abs, [-4])) == [4]
        with pytest.raises(RuntimeError, match="later imap call"):
            next(first)


def test_workers_leave_when_the_parent_is_killed(tmp_path):
    script = ("import sys, time\n"
              "from hybrid_hrm.parallel import OrderedPool\n"
              "pool = OrderedPool(2)\n"
              "print(' '.join(str(w.process.pid) for w in pool._workers), flush=True)\n"
              "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2
    proc.kill()
    proc.wait()

    def running(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has left
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 20
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in pids if running(pid)]
    for pid in left:  # no orphan outlives a failing test
        os.kill(pid, signal.SIGKILL)
    assert not left


def test_leaving_the_pool_on_an_interrupt_kills_the_busy_workers():
    with pytest.raises(KeyboardInterrupt):
        with OrderedPool(2) as pool:
            for _ in pool.imap(time.sleep, [0.0] + [30.0] * 4):
                raise KeyboardInterrupt
    assert not any(worker.process.is_alive() for worker in pool._workers)


def test_worker_counts_and_pieces():
    assert resolve_workers(0) == available_cores() and resolve_workers(None) == 1 and resolve_workers(3) == 3
    with pytest.raises(ConfigError):
        resolve_workers(-1)
    assert [len(c) for c in chunks(list(range(10)), 3, minimum=4)] == [4, 4, 2]


def _timeless(out: str) -> str:
    """Output lines without the one thing that differs between runs: a JSON line's seconds."""
    lines = []
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            row.get("stats", {}).pop("seconds", None)
            line = json.dumps(row)
        lines.append(line)
    return "\n".join(lines)


def _file(tmp_path, name: str, lines: list[str]):
    f = tmp_path / name
    f.write_text("\n".join(lines) + "\n")
    return f


@pytest.mark.parametrize("extra", [["--mode", "symbolic"], ["--mode", "symbolic", "--json", "--unique"],
                                   ["--mode", "hybrid-uniform", "--max-nodes", "2000"]])
def test_solve_with_workers_writes_what_one_process_writes(tmp_path, capsys, extra):
    puzzles = collection_lines("top1465", limit=300) + [HARD[:-1] + "x", ".13.....3..4...."]
    puzzles += collection_lines("forum_hardest:test", limit=30)
    f = _file(tmp_path, "p.txt", puzzles)
    runs = []
    for workers in ("1", "2"):
        code = main(["solve", "sudoku", "--file", str(f), *extra, "--workers", workers])
        captured = capsys.readouterr()
        runs.append((code, _timeless(captured.out), [line for line in captured.err.splitlines() if "error" in line]))
    assert runs[0] == runs[1]
    code, out, errors = runs[0]
    assert code == 2 and len(out.splitlines()) == len(puzzles)
    assert errors == [f"hybrid-hrm: error: {f} line 301: bad character 'x' for a 9x9 Sudoku (use 1-9 or '.') "
                      "(at position 80)"]
    if "--json" in extra:
        assert json.loads(out.splitlines()[0])["status"] == "solved"


def test_ctrl_c_with_workers_keeps_every_finished_line_in_order(tmp_path):
    lines = collection_lines("top1465")
    f = _file(tmp_path, "many.txt", [lines[i % len(lines)] for i in range(200_000)])
    out_path = tmp_path / "out.txt"
    cmd = [sys.executable, "-m", "hybrid_hrm.cli", "solve", "sudoku", "--file", str(f), "--mode", "symbolic",
           "--workers", "2"]
    with open(out_path, "w") as out:
        # Ctrl-C reaches the command even where this test runs with SIGINT ignored (a background job).
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        start = time.monotonic()
        while out_path.stat().st_size == 0 and time.monotonic() - start < 60:
            time.sleep(0.05)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err, err[-2000:]
    written = out_path.read_text().splitlines()
    assert 0 < len(written) < 200_000
    expected = hh.solve_batch([lines[i % len(lines)] for i in range(min(len(written), 3000))]).solutions()
    assert [line.split("\t")[1] for line in written[: len(expected)]] == expected


def test_bench_with_workers_runs_every_puzzle_once_in_order():
    sudoku = domains.get("sudoku")
    instances = [sudoku.parse(p) for p in collection_lines("top1465", limit=48)]
    one = run_benchmark(sudoku, instances, ["symbolic", "hybrid-uniform"], BenchConfig(max_nodes=20_000))
    two = run_benchmark(sudoku, instances, ["symbolic", "hybrid-uniform"], BenchConfig(max_nodes=20_000, workers=2))
    for name in ("symbolic", "hybrid-uniform"):
        assert two["methods"][name]["solved"] == one["methods"][name]["solved"] == 48
        assert two["methods"][name]["wrong"] == 0
        assert two["methods"][name]["wall_puzzles_per_s"] > 0 and "wall_puzzles_per_s" not in one["methods"][name]
    # The symbolic search is deterministic; the uniform policy draws per batch, and pieces are other batches.
    assert two["methods"]["symbolic"]["nodes_per_puzzle"] == one["methods"]["symbolic"]["nodes_per_puzzle"]
    assert two["config"]["workers"] == 2


def test_bench_command_takes_workers(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "sudoku", "--collection", "top1465", "--limit", "40", "--methods", "symbolic",
                 "--workers", "2", "--out", str(out)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("symbolic"))
    assert row.split()[1:3] == ["40", "0"] and "wall=" in row
    assert json.loads(out.read_text())["methods"]["symbolic"]["solved"] == 40


def test_worker_scaling_measures_each_count_on_every_puzzle(tmp_path, capsys):
    out = tmp_path / "s.json"
    assert main(["bench", "sudoku", "--collection", "top1465", "--limit", "64", "--methods", "symbolic,hybrid-uniform",
                 "--scale-workers", "1,2", "--out", str(out)]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("workers, ")]
    assert len(printed) == 2 and "2: " in printed[0]
    scaling = json.loads(out.read_text())["worker_scaling"]
    assert scaling["counts"] == [1, 2]
    for name in ("symbolic", "hybrid-uniform"):
        assert scaling["wrong"][name] == [0, 0]
        assert all(rate > 0 for rate in scaling["wall_puzzles_per_s"][name])
        assert scaling["speedup"][name][0] == 1.0
    # symbolic runs its workers as threads (no pool to start); the loop's modes on a pool of processes
    assert scaling["pool_start_s"]["symbolic"] == [0.0, 0.0]
    assert scaling["pool_start_s"]["hybrid-uniform"][0] == 0.0 < scaling["pool_start_s"]["hybrid-uniform"][1]


def test_forked_workers_get_slices_of_the_shared_puzzles_and_the_same_answers():
    from hybrid_hrm.bench import _pieces, _run, started_pool
    from hybrid_hrm.bench_methods import puzzles_for_forks, shared_puzzles

    sudoku = domains.get("sudoku")
    instances = [sudoku.parse(p) for p in collection_lines("forum_hardest:test", limit=40)]
    config = BenchConfig(max_nodes=20_000, workers=2)
    alone = _run("hybrid-uniform", sudoku, instances, BenchConfig(max_nodes=20_000), False)
    with puzzles_for_forks(instances), started_pool(2) as (pool, _):
        assert shared_puzzles(instances) and not shared_puzzles(list(instances))
        pieces = _pieces(instances, 2, pool)
        assert all(isinstance(p, slice) for p in pieces) and pieces[-1].stop == len(instances)
        assert all(isinstance(p, list) for p in _pieces(list(instances), 2, pool))  # not the shared ones
        shared = _run("hybrid-uniform", sudoku, instances, config, False, pool)
    assert not shared_puzzles(instances)  # closed again
    # the uniform policy draws per piece, so nodes may differ; the (unique) answers may not
    key = [(o.status, o.values.tolist()) for o in alone]
    assert [(o.status, o.values.tolist()) for o in shared] == key


def test_thread_map_keeps_order_and_stops_taking_items_after_an_error():
    assert thread_map(lambda x: x * x, list(range(40)), threads=3) == [x * x for x in range(40)]
    assert thread_map(abs, [], threads=2) == []
    started = threading.active_count()
    names = thread_map(lambda _: threading.current_thread().name, [0, 1, 2], threads=1)
    assert names == [threading.current_thread().name] * 3 and threading.active_count() == started
    taken = []

    def fails_on_two(x: int) -> int:
        taken.append(x)
        if x == 2:
            raise ValueError("two")
        return x

    with pytest.raises(ValueError, match="two"):
        thread_map(fails_on_two, list(range(100)), threads=1)
    assert taken == [0, 1, 2]  # nothing taken after the error


def test_symbolic_batches_with_workers_use_threads_not_processes(monkeypatch):
    from hybrid_hrm import parallel

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started")

    lines = collection_lines("forum_hardest:test", limit=80) + ["1..." * 4, "12"]
    one = hh.solve_batch(lines, workers=1, errors="keep", unique=True)
    monkeypatch.setattr(parallel, "OrderedPool", no_pool)
    two = hh.solve_batch(lines, workers=2, errors="keep", unique=True)
    assert two.status.tolist() == one.status.tolist() and two.nodes.tolist() == one.nodes.tolist()
    assert two.values.tolist() == one.values.tolist() and sorted(two.errors) == [81]
    assert (two.seconds[:80] > 0).all() and two.solutions() == one.solutions()


def test_symbolic_batches_of_a_domain_without_the_compiled_search_still_use_processes(monkeypatch):
    from hybrid_hrm import batch

    nqueens = domains.get("nqueens")
    instances = [nqueens.empty(n) for n in (4, 5, 6, 7, 8)] * 30
    one = hh.solve_batch(instances, "nqueens", workers=1)
    calls = []
    monkeypatch.setattr(batch, "map_ordered", lambda fn, items, workers: calls.append(workers) or
                        map_ordered(fn, items, workers))
    two = hh.solve_batch(instances, "nqueens", workers=2)
    assert calls == [2]
    assert two.status.tolist() == one.status.tolist() and two.values.tolist() == one.values.tolist()


def test_forked_workers_run_the_network_after_the_parent_did():
    """A fork of a process whose torch already ran multi-threaded used to wait forever on its first forward
    pass; each worker now runs torch on its share of the cores (parallel.share_cores)."""
    code = (
        "import domains, torch; torch.set_num_threads(2)\n"
        "from hybrid_hrm.data import collection_lines\n"
        "from hybrid_hrm.bench import run_benchmark\n"
        "from hybrid_hrm.bench_methods import BenchConfig\n"
        "d = domains.get('sudoku'); inst = [d.parse(p) for p in collection_lines('forum_hardest:test', limit=24)]\n"
        "r = run_benchmark(d, inst, ['hybrid'], BenchConfig(workers=2))\n"
        "print(r['methods']['hybrid']['solved'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == "24"


def test_forked_workers_run_torch_on_one_thread_whatever_the_cores(monkeypatch):
    """More than one thread in a fork of a process whose torch ran multi-threaded waits forever."""
    from hybrid_hrm import parallel

    monkeypatch.setattr(parallel, "available_cores", lambda: 16)
    assert parallel.forks() and parallel.threads_per_worker(2) == 1
    monkeypatch.setattr(parallel, "forks", lambda: False)
    assert parallel.threads_per_worker(2) == 8


def test_solve_batch_with_workers_in_a_network_mode_sends_the_forks_its_solver():
    lines = collection_lines("top1465", limit=130)
    one = hh.solve_batch(lines, mode="hybrid", workers=1)
    two = hh.solve_batch(lines, mode="hybrid", workers=2)
    assert one.counts() == two.counts() == {"solved": 130}
    assert (one.values == two.values).all()  # unique solutions
    assert len(two.made) > 0 and all(r.mode == "hybrid" for r in two.made.values())
