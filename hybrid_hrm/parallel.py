"""Every core used: a process pool that hands back results in input order, as they come.

:class:`OrderedPool` runs an importable function on items in worker
processes and yields the results in the order of the items, with a
bounded number in flight (memory stays bounded on a huge input, and the
first results come early).  Workers ignore Ctrl-C, so the parent decides:
it keeps what it has and kills them.  It is not :class:`multiprocessing.Pool`:
that pool's helper threads could leave its ``terminate`` waiting forever
after a Ctrl-C; here the parent has no thread of its own in the pool.

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

import dataclasses
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from solvers.errors import ConfigError, WorkerError

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


def _serve(conn: Connection, others: list[Connection], initializer: Callable[..., None] | None, initargs: tuple,
           threads: int) -> None:
    """A worker's life: ``(fn, item)`` in, ``(True, fn(item))`` or ``(False, error)`` out, until ``None``.

    ``others``: the parent's ends of this worker's pipe and of the workers' started before, which a
    fork inherits; closed, so that each worker sees the end of its pipe when the parent dies.
    """
    for other in others:
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    share_cores(threads)
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            task = conn.recv()
        except EOFError:  # the parent is gone
            return
        if task is None:
            return
        fn, item = task
        try:
            reply: tuple[bool, Any] = (True, fn(item))
        except Exception as exc:  # the parent raises it, in order
            reply = (False, exc)
        _send(conn, reply)


def _send(conn: Connection, reply: tuple[bool, Any]) -> None:
    """Send a reply; an error that does not pickle goes back as its text."""
    try:
        conn.send(reply)
    except Exception as exc:  # unpicklable result or error
        what = "result" if reply[0] else f"error ({type(reply[1]).__name__}: {reply[1]})"
        conn.send((False, WorkerError(f"a worker's {what} could not be sent back: {type(exc).__name__}: {exc}")))


@dataclasses.dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: tuple[int, int] | None = None  # (which imap call, which item) it works on


class _Items:
    """An iterator that can tell whether it has another item before giving it."""

    def __init__(self, items: Iterator[tuple[int, Any]]) -> None:
        self._items = items
        self._next = next(items, None)

    def empty(self) -> bool:
        return self._next is None

    def take(self) -> tuple[int, Any]:
        taken, self._next = self._next, next(self._items, None)
        return taken  # type: ignore[return-value]


class OrderedPool:
    """Worker processes that return results in input order (see the module docstring); each worker's
    torch gets its share of the cores (:func:`share_cores`).

    Each worker has its own pipe and one item at a time; the next is sent
    the moment its result arrives, before that result is handed on, so the
    workers keep busy while the caller writes.  No thread of this process
    takes part, so a Ctrl-C here can always stop it: the workers are killed
    (they only compute; this process writes) and the unfinished work dropped.
    A worker that dies (killed, out of memory) is a :class:`WorkerError`.

    ``initializer(*initargs)`` runs once in each worker (one that fails
    ends its worker: a :class:`WorkerError` on the first item it was given).
    """

    def __init__(self, workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> None:
        if workers < 1:
            raise ConfigError(f"a pool needs at least one worker, got {workers}")
        self.workers = workers
        context = pool_context()
        threads = threads_per_worker(workers)
        self._workers: list[_Worker] = []  # every worker started, whatever it is doing
        self._idle: list[_Worker] = []
        self._busy: dict[Connection, _Worker] = {}
        self._calls = 0
        try:
            for _ in range(workers):
                mine, theirs = context.Pipe()
                others = [mine] + [worker.conn for worker in self._workers]
                process = context.Process(target=_serve, args=(theirs, others, initializer, initargs, threads),
                                          daemon=True)
                process.start()
                theirs.close()
                self._workers.append(_Worker(process, mine))
                self._idle.append(self._workers[-1])
        except BaseException:
            self._kill()
            raise

    def imap(self, fn: Callable[[T], R], items: Iterable[T], window: int | None = None) -> Iterator[R]:
        """``fn(item)`` for each item, in order, with at most ``window`` (default: 2 a worker) taken and not
        yet handed on (memory stays bounded).  A call left early leaves its replies to be dropped, and
        once a later call has started, resuming an earlier one is a ``RuntimeError``."""
        self._calls += 1
        call, window = self._calls, max(window or 2 * self.workers, 1)
        todo = _Items(enumerate(items))
        done: dict[int, tuple[bool, Any]] = {}
        taken = handed = 0
        while True:
            taken += self._give_out(fn, todo, call, window - (taken - handed))
            if handed == taken and todo.empty():
                return
            while handed not in done:
                self._receive(done, call)
                taken += self._give_out(fn, todo, call, window - (taken - handed))  # busy before handing on
            ok, value = done.pop(handed)
            handed += 1
            if not ok:
                raise value
            yield value
            if self._calls != call:
                raise RuntimeError("a later imap call on this pool has started; this call's results are dropped")

    def _give_out(self, fn: Callable[[T], R], todo: "_Items", call: int, room: int) -> int:
        """Send the next items to idle workers, at most ``room``; how many were sent."""
        sent = 0
        while self._idle and sent < room and not todo.empty():
            index, item = todo.take()
            worker = self._idle[-1]
            try:
                worker.conn.send((fn, item))  # pickled whole before a byte is written
            except OSError:
                raise self._died(worker, f"before item {index}") from None
            self._idle.pop()
            worker.task = (call, index)
            self._busy[worker.conn] = worker
            sent += 1
        return sent

    def _receive(self, done: dict[int, tuple[bool, Any]], call: int) -> None:
        """Wait for at least one busy worker's reply and file it under its item's index (if of this call)."""
        if not self._busy:
            raise WorkerError("no worker is working: the pool lost its workers")
        for conn in wait(list(self._busy)):
            worker = self._busy[conn]  # type: ignore[index]
            that_call, index = worker.task  # type: ignore[misc]
            try:
                reply = conn.recv()  # type: ignore[union-attr]
            except (EOFError, OSError):
                raise self._died(worker, f"on item {index}") from None
            except Exception as exc:  # read whole, but does not unpickle here (an error's own arguments)
                reply = (False, WorkerError(f"a worker's reply could not be read: {type(exc).__name__}: {exc}"))
            del self._busy[conn]  # type: ignore[arg-type]
            self._idle.append(worker)
            if that_call == call:
                done[index] = reply

    @staticmethod
    def _died(worker: _Worker, when: str) -> WorkerError:
        worker.process.join(1.0)
        return WorkerError(f"a worker process died (exit code {worker.process.exitcode}) {when}")

    def _kill(self) -> None:
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in self._workers:
            worker.process.join()
            worker.conn.close()

    def _close(self) -> None:
        """Let every worker finish and leave (busy ones cannot be: the items were all handed on)."""
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except OSError:  # already gone
                pass
        for worker in self._workers:
            worker.process.join(5.0)
        self._kill()  # any that did not leave

    def __enter__(self) -> "OrderedPool":
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None and not self._busy:
            self._close()
        else:  # an error, Ctrl-C, or a loop left early: the unfinished work is dropped
            self._kill()


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
