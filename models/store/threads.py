"""The database's worker threads: jobs in, results back to the event loop with few wake-ups.

asyncio's run_in_executor hands every job and every result through concurrent.futures, a
wrapping asyncio future and one self-pipe write per result. Under load (50 residents writing at
once) that hand-off cost about 50 µs of CPU per transaction (bench/ingest.py). Here a job is a
plain queue entry, and the results finished while the loop was busy go back in one call.

Jobs marked `shared` may run together: a thread that finds several of them queued hands them
to `together` at once (the database runs them in one transaction, see Database.run).

Semantics as run_in_executor's otherwise: each thread takes jobs in submission order; a job
whose awaiting future was cancelled before it started does not run; shutdown() runs what was
queued and joins the threads; submitting after shutdown raises RuntimeError.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Outcome = tuple[Any, BaseException | None]  # (value, None) or (None, error)
Together = Callable[[list[Callable[..., Any]]], list[Outcome]]
_NOTHING = object()


class _Results:
    """Finished jobs waiting for their event loop; one loop callback drains them all."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lock = threading.Lock()
        self.done: list[tuple[asyncio.Future[Any], Outcome]] = []
        self.scheduled = False

    def put(self, future: asyncio.Future[Any], outcome: Outcome) -> None:
        with self.lock:
            self.done.append((future, outcome))
            wake = not self.scheduled
            self.scheduled = True
        if wake:
            # A loop closed meanwhile has nobody waiting any more.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        with self.lock:
            done, self.done = self.done, []
            self.scheduled = False
        for future, (value, error) in done:
            if future.cancelled():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)


@dataclass
class _Job(Generic[T]):
    fn: Callable[..., T]
    future: asyncio.Future[T]
    results: _Results
    shared: bool


def outcome(fn: Callable[[], Any]) -> Outcome:
    """Call fn: its value, or the exception it raised."""
    try:
        return fn(), None
    except BaseException as exc:  # handed to the awaiting coroutine, as an executor does
        return None, exc


class WorkerThreads:
    """A fixed set of daemon threads running callables for coroutines."""

    def __init__(self, workers: int, name: str, together: Together | None = None, most: int = 8) -> None:
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._results: dict[asyncio.AbstractEventLoop, _Results] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._together = together
        self._most = most
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}_{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., T], *, shared: bool = False) -> asyncio.Future[T]:
        """Queue fn; the returned future (of the running loop) gets its result or exception.

        shared: fn may run with other shared jobs through `together` (it then takes what
        `together` passes it); otherwise it is called with no arguments.
        """
        loop = asyncio.get_running_loop()
        results = self._results.get(loop)
        if results is None:
            for gone in [lp for lp in self._results if lp.is_closed()]:  # tests run many loops
                del self._results[gone]
            results = self._results[loop] = _Results(loop)
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new jobs after shutdown")
            self._jobs.put(_Job(fn, future, results, shared and self._together is not None))
        return future

    def _work(self) -> None:
        pending: _Job[Any] | object | None = _NOTHING
        while True:
            job = self._jobs.get() if pending is _NOTHING else pending
            pending = _NOTHING
            if not isinstance(job, _Job):  # None: stop
                return
            if not job.shared:
                if not job.future.cancelled():  # a flag set on the loop's thread: at worst it runs
                    job.results.put(job.future, outcome(job.fn))
                continue
            batch = [job]
            while len(batch) < self._most:  # the shared jobs queued right behind it join it
                try:
                    after = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if after is None or not after.shared:
                    pending = after  # runs next, after the batch: order is kept
                    break
                batch.append(after)
            self._run_shared(batch)

    def _run_shared(self, batch: list[_Job[Any]]) -> None:
        live = [j for j in batch if not j.future.cancelled()]
        if not live:
            return
        assert self._together is not None
        together = self._together
        done = outcome(lambda: together([j.fn for j in live]))
        outcomes = done[0] if done[1] is None else [done] * len(live)  # a thread never dies of a job
        for job, result in zip(live, outcomes, strict=True):
            job.results.put(job.future, result)

    def shutdown(self) -> None:
        """Run the jobs already queued, then stop and join every thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._jobs.put(None)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        self._results.clear()
