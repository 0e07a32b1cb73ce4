"""Every core used: a process pool that hands back results in input order, as they come.

:class:`OrderedPool` runs an importable function on items in worker
processes and yields the results in the order of the items, with a
bounded number in flight (memory stays bounded on a huge input, and the
first results come early).  Workers ignore Ctrl-C, so the parent decides:
it keeps what it has and terminates them.

Workers start by ``fork`` on Linux (fast: the compiled kernels, and a model
the parent loaded, come along) unless the parent has CUDA initialized (a
forked child cannot use it), then by ``forkserver``; off Linux by ``spawn``.

Examples
--------
>>> with OrderedPool(2) as pool:
...     list(pool.imap(abs, [-3, 1, -2]))
[3, 1, 2]
>>> resolve_workers(0) == available_cores()
True

:func:`thread_map` is the other way to use every core, for work that
releases the GIL (the compiled batch kernels): threads of this process
take the pieces one by one, with nothing to start or pickle.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.context import BaseContext
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from solvers.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def resolve_workers(workers: int | None) -> int:
    """``--workers N``: ``N`` processes, ``0`` every core, ``None`` or ``1`` none (this process)."""
    if workers is None:
        return 1
    if workers < 0:
        raise ConfigError(f"workers must be 0 (all cores) or more, got {workers}")
    return available_cores() if workers == 0 else int(workers)


def pool_context() -> BaseContext:
    """How worker processes start: ``fork`` on Linux without CUDA initialized, else ``forkserver``/``spawn``."""
    if not sys.platform.startswith("linux"):
        return multiprocessing.get_context("spawn")
    torch = sys.modules.get("torch")
    cuda = torch is not None and hasattr(torch, "cuda") and torch.cuda.is_initialized()
    return multiprocessing.get_context("forkserver" if cuda else "fork")


def forks() -> bool:
    """Whether workers started now are forks of this process (and so share what it has loaded)."""
    return pool_context().get_start_method() == "fork"


def threads_per_worker(workers: int) -> int:
    """Threads each of ``workers`` processes may use (torch's intra-op pool) without oversubscribing the cores.

    One where the workers are forks: a fork of a process whose torch already ran multi-threaded waits
    forever on its first parallel operator with more than one thread (the thread pool does not survive
    a fork); with one, torch runs inline.
    """
    if forks():
        return 1
    return max(1, available_cores() // max(workers, 1))


def chunks(items: Sequence[T], count: int, minimum: int = 1) -> list[Sequence[T]]:
    """``items`` cut into about ``count`` contiguous pieces of at least ``minimum`` (the last may be short).

    >>> [list(c) for c in chunks(range(7), 3)]
    [[0, 1, 2], [3, 4, 5], [6]]
    """
    n = len(items)
    size = max(minimum, -(-n // max(count, 1)))
    return [items[i : i + size] for i in range(0, n, size)]


def share_cores(threads: int) -> None:
    """This worker's torch (when loaded) uses ``threads`` threads: its share of the cores, not all of them.

    Forked workers get one (:func:`threads_per_worker`): more would wait forever.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    share_cores(threads)
    if initializer is not None:
        initializer(*initargs)


class OrderedPool:
    """Worker processes that return results in input order (see the module docstring); each worker's
    torch gets its share of the cores (:func:`share_cores`).

    ``initializer(*initargs)`` runs once in each worker (keep it simple: a
    failing one makes the pool restart workers forever; build what may
    fail on the first task instead).
    """

    def __init__(self, workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> None:
        if workers < 1:
            raise ConfigError(f"a pool needs at least one worker, got {workers}")
        self.workers = workers
        self._pool = pool_context().Pool(workers, initializer=_start_worker,
                                          initargs=(initializer, initargs, threads_per_worker(workers)))

    def imap(self, fn: Callable[[T], R], items: Iterable[T], window: int | None = None) -> Iterator[R]:
        """``fn(item)`` for each item, in order, with at most ``window`` (default: 2 a worker) in flight."""
        window = window or 2 * self.workers
        pending: collections.deque = collections.deque()
        for item in items:
            pending.append(self._pool.apply_async(fn, (item,)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def __enter__(self) -> "OrderedPool":
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None:
            self._pool.close()
        else:  # an error or Ctrl-C: the unfinished work is dropped
            self._pool.terminate()
        self._pool.join()


def map_ordered(
    fn: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    progress: Callable[[R], None] | None = None,
    pool: OrderedPool | None = None,
) -> list[R]:
    """``[fn(item) for item in items]`` on ``workers`` processes (in this one when ``workers == 1``).

    ``progress(result)`` is called as each result arrives, in order (to move a progress bar).
    ``pool``: an open :class:`OrderedPool` to use (its workers already started) instead of a new one.

    >>> map_ordered(abs, [-1, 2], workers=1)
    [1, 2]
    """
    out: list[R] = []
    if pool is None and (workers <= 1 or len(items) <= 1):
        results: Iterable[R] = map(fn, items)
        for result in results:
            out.append(result)
            if progress:
                progress(result)
        return out
    if pool is not None:
        return _collect(pool.imap(fn, items), out, progress)
    with OrderedPool(min(workers, len(items))) as new_pool:
        return _collect(new_pool.imap(fn, items), out, progress)


def _collect(results: Iterable[R], out: list[R], progress: Callable[[R], None] | None) -> list[R]:
    for result in results:
        out.append(result)
        if progress:
            progress(result)
    return out


def thread_map(fn: Callable[[T], R], items: Sequence[T], threads: int) -> list[R]:
    """``[fn(item) for item in items]`` on ``threads`` threads of this process, each taking the next item.

    For work that releases the GIL (the compiled batch kernels are
    ``nogil``): otherwise the threads take turns.  This thread works too, so
    ``threads=1`` starts none.  The first error (by item) is raised once every
    thread has stopped, and after an error no thread takes another item; the
    helper threads are daemons (a Ctrl-C here does not wait for them at exit).

    >>> thread_map(abs, [-3, 1, -2], threads=2)
    [3, 1, 2]
    """
    results: list = [None] * len(items)
    errors: dict[int, BaseException] = {}
    taken = iter(range(len(items)))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                i = None if errors else next(taken, None)
            if i is None:
                return
            try:
                results[i] = fn(items[i])
            except BaseException as exc:  # handed to the caller below
                with lock:
                    errors[i] = exc
                return

    helpers = [threading.Thread(target=work, daemon=True) for _ in range(min(threads, len(items)) - 1)]
    for helper in helpers:
        helper.start()
    work()
    for helper in helpers:
        helper.join()
    if errors:
        raise errors[min(errors)]
    return results
