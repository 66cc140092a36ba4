"""The sender: leases lane heads, sends each lane on its own, records outcomes in batches.

A lane is one chat of one channel. Only the oldest open row of a lane (its head) can be claimed,
so a chat's messages leave in outbox order, one at a time, while lanes run concurrently: a slow,
paused or hung chat delays only itself. The claim leases the head to this process (`owner`,
`lease_until`); the lease is renewed while the call is in flight and a dead process's heads are
taken over once it runs out (seconds). "sent", "retry" and "failed" apply only to rows this
process still holds. A process killed in the middle of an API call may have delivered that one
message: its successor sends it again (at most one duplicate per crash and lane).

Channels whose transport says `ordered = True` (the console) are delivered one row at a time
in plain outbox order, so transcripts stay deterministic.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from models import outbox
from models.clock import Clock
from models.messages import Button
from models.store.database import Database
from models.tables import OutboxStatus

from ..quietlog import QuietLog
from . import limits
from .limits import UNLIMITED, ChannelLimits
from .types import MAX_ATTEMPTS, Delivery, OutgoingMessage, Transport, backoff

log = logging.getLogger(__name__)
UNSERVED_AGE = timedelta(hours=1)  # a channel off for longer than a restart: its queue is settled
PARTS = "parts:"  # remote_id of a row whose first parts arrived before a failure
STEP = 5.0  # seconds the wall clock may move against the monotonic one between two claims before it is a step


def _default_owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Sender:
    """Delivers the outbox of every registered transport; one per process."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        transports: dict[str, Transport],
        *,
        lease: float = 15.0,
        max_inflight: int = 128,
        horizon: float = 10.0,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        monotonic: Callable[[], float] | None = None,
        owner: str | None = None,
        backoff_scale: float = 1.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.transports = transports
        self.lease = lease
        self.max_inflight = max_inflight
        self.horizon = horizon  # a slot further off than this goes back to the queue
        self.wall = wall  # the limits' clock (epoch seconds, shared by processes)
        self.sleep = sleep
        # The pacing clock: a booked slot is waited for, and judged late, on it, so a step of the
        # wall clock between booking and sending neither holds a message back nor sends it early.
        # (An injected wall clock without a monotonic one is a virtual time that never steps.)
        self._monotonic = monotonic
        self._offset: float | None = None  # wall minus monotonic at the last claim
        self.steps = 0  # wall-clock steps noticed
        self.owner = owner or _default_owner()
        self.backoff_scale = backoff_scale  # < 1 only in tests that run real processes briefly
        self.failures = QuietLog(log, "outbox delivery")
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()  # a lane finished: outcomes to record, a lane to refill
        self._steps = 0  # steps running now (several flush() calls may run at once)
        self._stepped = asyncio.Event()  # a step finished (flush waits for another's claim)
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._calling: set[int] = set()  # rows whose API call has started
        self._leased: set[int] = set()  # rows this process holds and has not recorded yet
        self._ordered_busy = False
        self._done: list[outbox.Outcome] = []
        self._pauses: list[tuple[str, float]] = []
        self._recent_429: dict[str, float] = {}  # channel:chat -> when (bot-wide flood detection)
        self._renewed = 0.0
        self._pruned = 0.0
        # Under `jiesu run`: rows of channels no transport here delivers are settled, not kept.
        self.settles_unserved = False
        self._settled = 0.0
        self._stopping = False
        self.late = 0  # messages that missed their slot and were booked again
        # Priority after a late wake-up: a message that missed its slot is booked again, and until
        # it is sent the ones of a lower priority go back to the queue too, so a bulk notice never
        # overtakes a direct reply however starved the CPU.
        self._booked: dict[int, tuple[int, float]] = {}  # id -> priority, slot (monotonic)
        self._requeued: dict[int, tuple[int, float]] = {}  # id -> priority, when (monotonic)

    # ------------------------------------------------------------------ claiming

    def _limits(self, channel: str) -> ChannelLimits:
        return getattr(self.transports.get(channel), "limits", None) or UNLIMITED

    def _channels(self, ordered: bool) -> list[str]:
        return [c for c, t in self.transports.items() if bool(getattr(t, "ordered", False)) == ordered]

    def _claim(self, session: Session, free: int) -> list[tuple[OutgoingMessage, float]]:
        """Lease due lane heads (and ordered rows), book their rate slots, defer far-off ones."""
        now = self.clock.now()
        lease = timedelta(seconds=self.lease)
        rows: list[Any] = []
        lanes = self._channels(ordered=False)
        if lanes and free > 0:
            rows += outbox.claim_due(session, now, owner=self.owner, channels=lanes, limit=free, lease=lease)
        ordered = self._channels(ordered=True)
        if ordered and not self._ordered_busy:
            rows += outbox.claim_due(
                session, now, owner=self.owner, channels=ordered, limit=200, lease=lease, lanes=False
            )
        if not rows:
            return []
        wall, mono = self.wall(), self.monotonic()
        self._notice_step(wall - mono)
        requests = [
            limits.Request(
                r.id, self._limits(r.channel).scopes(r.channel, r.chat_id, r.chat_id.startswith("-"))
            )
            for r in sorted(rows, key=lambda r: (r.priority, r.id))
        ]
        slots = limits.book(session, requests, wall, self.horizon)
        later = {i: now + timedelta(seconds=at - wall) for i, at in slots.items() if at - wall > self.horizon}
        outbox.defer(session, self.owner, later)
        out = []
        for r in rows:
            if r.id in later:
                continue
            self._booked[r.id] = (r.priority, mono + (slots[r.id] - wall))
            remote = outbox.remote_id_of(session, r.edit_of) if r.edit_of is not None else None
            parts = r.remote_id or ""
            # A lane head: every earlier row of its chat is settled, so the last keyboard is known now.
            closes = r.keyboard == "remove" and bool(r.buttons) and r.channel in lanes
            previous = outbox.last_keyboard(session, r.channel, r.chat_id, r.id) if closes else None
            out.append(
                (
                    OutgoingMessage(
                        id=r.id,
                        channel=r.channel,
                        chat_id=r.chat_id,
                        text=r.text,
                        buttons=tuple(Button(label, payload) for label, payload in (r.buttons or [])),
                        photo=r.photo,
                        keyboard=r.keyboard,
                        attempts=r.attempts,
                        edit_remote_id=remote,
                        is_edit=r.edit_of is not None,
                        parts_done=int(parts.removeprefix(PARTS)) if parts.startswith(PARTS) else 0,
                        document=r.document,
                        previous_keyboard=previous,
                    ),
                    mono + (slots[r.id] - wall),
                )
            )
        return out

    def _overtakes(self, priority: int) -> bool:
        """Tell whether sending now would overtake a message of a higher priority: one that went
        back to the queue and is not sent yet (for at most a horizon: another process may have
        taken it), or one whose slot passed while it still sleeps (its wake-up is late)."""
        now = self.monotonic()
        self._requeued = {i: (p, at) for i, (p, at) in self._requeued.items() if now - at < self.horizon}
        if any(p < priority for p, _ in self._requeued.values()):
            return True
        return any(p < priority and at < now for p, at in self._booked.values())

    def monotonic(self) -> float:
        """The pacing clock (an injected wall clock without a monotonic one is a virtual time)."""
        if self._monotonic is not None:
            return self._monotonic()
        return time.monotonic() if self.wall is time.time else self.wall()

    def _notice_step(self, offset: float) -> None:
        """Log one line when the wall clock stepped (booked sends it left in the future are stale)."""
        previous, self._offset = self._offset, offset
        if previous is None:
            return
        moved = offset - previous
        if abs(moved) >= STEP:
            self.steps += 1
            log.warning(
                "wall clock stepped %s by %.0f s; delivery is paced by the monotonic clock and goes on",
                "forward" if moved > 0 else "back",
                abs(moved),
            )

    # ------------------------------------------------------------------ sending

    async def _send(self, message: OutgoingMessage, slot: float) -> None:
        """One lane's message: wait for its slot (monotonic time), call the channel, queue the outcome."""
        delay = slot - self.monotonic()
        if delay > 0:
            await self.sleep(delay)
        limited = bool(self._limits(message.channel).scopes(message.channel, message.chat_id, True))
        priority, _ = self._booked.pop(message.id, (0, slot))
        late = limited and self.monotonic() - slot > limits.LATE  # sent now it could crowd the next window
        if late or (limited and self._overtakes(priority)):
            if late:
                self.late += 1
            self._requeued[message.id] = (priority, self.monotonic())
            parts = f"{PARTS}{message.parts_done}" if message.parts_done else None
            self._done.append(outbox.Outcome(message.id, OutboxStatus.PENDING, self.clock.now(), parts))
            self._leased.discard(message.id)
            return
        self._requeued.pop(message.id, None)
        transport = self.transports[message.channel]
        self._calling.add(message.id)
        try:
            result = await transport.deliver(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a transport bug must not stop the queue
            log.exception("transport %s failed on outbox row %s", message.channel, message.id)
            result = Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")
        finally:
            self._calling.discard(message.id)
        self._done.append(self._outcome(message, result))
        self._leased.discard(message.id)

    async def _send_ordered(self, batch: list[tuple[OutgoingMessage, float]]) -> None:
        """Ordered channels: one row after another, in outbox order."""
        try:
            for message, slot in batch:
                await self._send(message, slot)
        finally:
            self._ordered_busy = False

    def _outcome(self, message: OutgoingMessage, result: Delivery) -> outbox.Outcome:
        now = self.clock.now()
        spent = 1 if result.attempted else 0
        parts = f"{PARTS}{result.parts_done}" if result.parts_done else None
        if result.ok:
            return outbox.Outcome(message.id, OutboxStatus.SENT, now, remote_id=result.remote_id)
        if result.retry_after is not None:  # flow control, not a failure: no attempt spent
            self._pause(message, result.retry_after)
            wait = timedelta(seconds=result.retry_after)
            return outbox.Outcome(message.id, OutboxStatus.PENDING, now + wait, parts, result.error)
        attempts = message.attempts + spent
        most = getattr(self.transports.get(message.channel), "max_attempts", MAX_ATTEMPTS)
        if result.permanent or attempts >= most:
            log.warning(
                "giving up on outbox row %s after %d attempts: %s", message.id, attempts, result.error
            )
            return outbox.Outcome(message.id, OutboxStatus.FAILED, now, None, result.error or "failed", spent)
        wait = (backoff(attempts) if spent else timedelta(seconds=2)) * self.backoff_scale
        return outbox.Outcome(message.id, OutboxStatus.PENDING, now + wait, parts, result.error or "", spent)

    def _pause(self, message: OutgoingMessage, seconds: float) -> None:
        """A 429 pauses its chat; 429s in two chats within the pause pause the whole bot."""
        wall = self.wall()
        until = wall + seconds
        lane = f"{message.channel}:{message.chat_id}"
        self._pauses.append((f"{message.channel}:chat:{message.chat_id}", until))
        others = [
            k
            for k, at in self._recent_429.items()
            if k != lane and k.startswith(f"{message.channel}:") and at > wall - seconds
        ]
        if others:
            log.warning(
                "%s answered 429 in several chats: pausing the bot for %.0f s", message.channel, seconds
            )
            self._pauses.append((f"{message.channel}:bot", until))
        self._recent_429 = {k: at for k, at in self._recent_429.items() if at > wall - 60}
        self._recent_429[lane] = wall

    def _start(self, claimed: list[tuple[OutgoingMessage, float]]) -> None:
        self._leased.update(m.id for m, _ in claimed)
        ordered = [c for c in claimed if getattr(self.transports[c[0].channel], "ordered", False)]
        for message, slot in claimed:
            if (message, slot) in ordered:
                continue
            task = asyncio.create_task(self._send(message, slot), name=f"outbox-{message.id}")
            self._track(message.id, task)
        if ordered:
            self._ordered_busy = True
            task = asyncio.create_task(self._send_ordered(ordered), name="outbox-ordered")
            self._track(-ordered[0][0].id, task)

    def _track(self, key: int, task: asyncio.Task[None]) -> None:
        self._inflight[key] = task

        def finished(_: asyncio.Task[None]) -> None:
            self._inflight.pop(key, None)
            self._changed.set()

        task.add_done_callback(finished)

    # ------------------------------------------------------------------ bookkeeping

    def _held(self) -> list[int]:
        return sorted(self._leased)

    def _book(self, session: Session, done: list[outbox.Outcome], pauses: list[tuple[str, float]]) -> None:
        """Record outcomes, 429 pauses and lease renewals in one transaction."""
        applied = outbox.record(session, self.owner, done)
        if applied < len(done):
            log.warning("%d outcomes were for rows this process no longer held", len(done) - applied)
        wall = self.wall()
        for scope, until in pauses:
            limits.pause(session, scope, until, wall)
        if wall - self._renewed >= self.lease / 3:
            outbox.renew(session, self.owner, self._held(), self.clock.now() + timedelta(seconds=self.lease))
            self._renewed = wall
        if wall - self._pruned >= 600:
            limits.prune(session, wall - 3600)
            self._pruned = wall
        if self.settles_unserved and wall - self._settled >= 600:
            self._settle_unserved(session)
            self._settled = wall

    def _settle_unserved(self, session: Session) -> None:
        served = sorted(self.transports)
        for channel, n in outbox.settle_unserved(session, served, self.clock.now(), UNSERVED_AGE).items():
            log.warning("%d queued messages for the %s channel, which is not configured: dropped", n, channel)

    async def _record(self, free: int | None = None) -> list[tuple[OutgoingMessage, float]]:
        """Write what finished since the last call and (given `free`) claim, in one transaction.

        Outcomes are kept for the next call if the database fails.
        """
        done, self._done = self._done, []
        pauses, self._pauses = self._pauses, []

        def work(session: Session) -> list[tuple[OutgoingMessage, float]]:
            self._book(session, done, pauses)
            return self._claim(session, free) if free is not None else []

        try:
            return await self.db.run(work)
        except BaseException:
            self._done[:0] = done
            self._pauses[:0] = pauses
            raise

    async def step(self, *, claim: bool = True) -> int:
        """Record outcomes, renew leases, then claim and start what is due; return how many started."""
        self._changed.clear()
        self._steps += 1
        try:
            if not claim:
                await self._record()
                return 0
            claimed = await self._record(self.max_inflight - len(self._inflight))
            self._start(claimed)
            return len(claimed)
        finally:
            self._steps -= 1
            self._stepped.set()

    # ------------------------------------------------------------------ driving

    async def flush(self) -> int:
        """Deliver everything due now and wait for it (console, tests, benchmarks)."""
        handled = 0
        while True:
            started = await self.step()
            handled += started
            if not started and not self._busy() and not self._done:
                return handled
            if not started or self._busy():
                await self._progress()

    def _busy(self) -> bool:
        """Sends in flight, or another step claiming (a flush, stop or the background loop).

        A step that claimed nothing because another one was leasing the rows meanwhile must not
        conclude that nothing is left: the other's rows are about to start.
        """
        return bool(self._inflight) or self._steps > 0

    async def _progress(self, timeout: float | None = None) -> None:
        """Wait until a lane finishes or another step ends (or the timeout passes)."""
        self._stepped.clear()
        waits = [asyncio.ensure_future(self._changed.wait()), asyncio.ensure_future(self._stepped.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    def wake(self) -> None:
        """Ask the background loop to look at the outbox now."""
        self._wake.set()

    async def run_forever(self, interval: float = 1.0) -> None:
        """Deliver in the background until stop() (or cancellation)."""
        while not self._stopping:
            self._wake.clear()  # before the step: a wake() while it runs is seen by the next wait
            try:
                await self.step()
                self.failures.ok()
            except Exception as exc:  # the database is down: one line per kind, not a traceback per try
                self.failures.failed(exc)
            waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self._changed.wait())]
            await asyncio.wait(
                waits, timeout=min(interval, self.lease / 3), return_when=asyncio.FIRST_COMPLETED
            )
            for w in waits:
                w.cancel()

    async def stop(self, grace: float = 10.0) -> int:
        """Deliver what is due within `grace` seconds, then give back every lease still held.

        Calls in flight at the deadline are cancelled (their rows go back to the queue: the one
        message per lane that may have arrived is the documented duplicate). Returns how many
        rows were released unsent; they stay queued for the next process.
        """
        self._stopping = True
        self._wake.set()
        deadline = time.monotonic() + grace
        self.horizon = min(self.horizon, grace)
        while (left := deadline - time.monotonic()) > 0:
            try:
                started = await self.step(claim=left > 0.5)
            except Exception as exc:
                self.failures.failed(exc)
                started = 0
                await asyncio.sleep(min(0.5, left))
            if not started and not self._busy() and not self._done:
                break
            if self._busy():
                await self._progress(timeout=max(0.0, deadline - time.monotonic()))
        for task in list(self._inflight.values()):
            task.cancel()
        leftover = list(self._inflight.values())
        if leftover:
            await asyncio.wait(leftover, timeout=1.0)
        released = 0
        for _ in range(3):
            try:
                await self._record()
                released = await self.db.run(lambda s: outbox.release(s, self.owner))
                break
            except Exception as exc:
                self.failures.failed(exc)
                await asyncio.sleep(0.2)
        return released
