"""Worker processes the bot can kill: fresh interpreters, each with a memory cap, one job each.

Parsing feeds and extracting articles are pure Python (or C that holds the interpreter lock):
in this process they would share the lock with the event loop, and a thread cannot be stopped
once it has begun. A `ProcessGroup` runs them in processes of its own, one job at a time per
process, so that one process can be killed without touching the others' jobs:

- each process may hold at most `memory_bytes` of address space (RLIMIT_AS): a job that wants
  more gets MemoryError, raised here as `OverLimit`, and its process is replaced;
- each job may use at most `cpu_seconds` of CPU (RLIMIT_CPU, raised before each job): the kernel
  ends a process that passes it, raised here as `JobKilled`, and its process is replaced;
- a job whose caller stops waiting (a time limit, a shutdown) has its process killed and
  replaced: nothing keeps running for a caller that is gone;
- a process that dies (killed, crashed) while it runs a job is replaced, and its job raises
  `JobKilled` (a `WorkerLost`) with how it died: one job at a time per process, so the job, or
  its input, is the one suspect; one stopped (SIGTERM: the service is being stopped) raises
  `WorkerLost`;
- a process found dead when a job comes (it died idle: killed, or ended by the kernel's OOM
  killer) is replaced, and the job goes to another process: nothing was the job's doing.

Groups may share a semaphore for their large jobs (large inputs are what take a process to its
cap): one large job at a time among them, so that two processes at their caps never add up.

A replacement starts in the group's own thread, never in the event loop's default executor,
and joins the idle processes once its interpreter has imported what its jobs need.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import math
import multiprocessing
import os
import resource
import select
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import TypeVar

log = logging.getLogger(__name__)

_Result = TypeVar("_Result")
# An input larger than this (a feed document, an article page) is a large job.
LARGE_INPUT_BYTES = 1024 * 1024
# The thread that notices the bot has ended needs almost no stack: its address space is the
# jobs' (a thread's default stack takes 8 MiB of the cap).
_WATCH_STACK_BYTES = 256 * 1024
# glibc's mallopt parameter for the most malloc arenas a process may have.
_M_ARENA_MAX = -8
# A dead process's exit code is looked for this often, this long apart (a second at most).
_EXIT_CODE_LOOKS = 50
_EXIT_CODE_PAUSE_SECONDS = 0.02
# Exit codes of a process ended by a signal that asks a process to stop: nothing a job does.
_ASKED_TO_END = frozenset({-signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP})


class WorkerLost(Exception):
    """The process running a job ended: stopped or closed (nothing the job did), or killed
    while it ran the job (`JobKilled`). It is replaced."""


class JobKilled(WorkerLost):
    """The process died while it ran the job (its input may be what killed it): it is replaced."""

    def __init__(self, group: str, exit_code: int | None) -> None:
        self.how = _how_it_ended(exit_code)
        super().__init__(f"a {group} process died running the job ({self.how})")


class OverLimit(Exception):
    """A job needed more memory than its process may hold: the process is replaced."""


@dataclass(frozen=True, slots=True)
class ProcessLimits:
    """What one process of a group may use."""

    memory_bytes: int | None = None  # address space of the whole process; None: no cap
    cpu_seconds: int | None = None  # CPU time of one job; None: no limit
    # Imported by each new process before it takes a job, so that no job pays for the import.
    preload: tuple[str, ...] = ()


class _Worker:
    """One process (a pool of one: it can be killed without breaking another's job)."""

    def __init__(self, limits: ProcessLimits) -> None:
        # Never fork this process: it runs threads and an event loop, which a fork copies
        # mid-step. A fresh interpreter per worker (spawn) costs a second at its start only.
        self.executor = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_started,
            initargs=(os.getpid(), limits.memory_bytes, limits.preload),
        )
        self.ready = False
        self._process: BaseProcess | None = None

    def start(self) -> None:
        """Start the process and wait until it is ready (blocking: run it in a thread)."""
        self.executor.submit(os.getpid).result()
        # Kept here: the executor forgets its processes once one has died.
        self._process = next(iter((self.executor._processes or {}).values()), None)
        self.ready = True

    def alive(self) -> bool:
        """Whether the process still runs (reaping it when it has ended)."""
        return self._process is not None and self._process.is_alive()

    async def exit_code(self) -> int | None:
        """How the ended process ended: its exit status, or minus the signal that ended it."""
        process = self._process
        if process is None:
            return None
        # The executor's own thread may reap the process first: the code it reads lands on
        # the same object a moment later.
        for _ in range(_EXIT_CODE_LOOKS):
            if process.exitcode is not None:
                return process.exitcode
            await asyncio.sleep(_EXIT_CODE_PAUSE_SECONDS)
        return None

    def pid(self) -> int | None:
        # ProcessPoolExecutor names its processes nowhere public.
        return next(iter(self.executor._processes or ()), None)

    def kill(self) -> None:
        """End the process now, whatever it is doing; its executor is left to wind down."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.executor.shutdown(wait=False, cancel_futures=True)


class ProcessGroup:
    """A fixed number of worker processes, each running one job at a time; started once,
    every process replaced when it dies, breaks a limit, or is asked to be."""

    def __init__(
        self,
        size: int,
        limits: ProcessLimits,
        *,
        name: str,
        large_jobs: asyncio.Semaphore | None = None,
    ) -> None:
        self._size = size
        self._large_jobs = large_jobs
        self._limits = limits
        self._name = name
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task[None]] = set()
        # Starting a process blocks its caller; this thread does it, not the event loop's.
        self._starter = ThreadPoolExecutor(1, thread_name_prefix=f"{name}-start")
        self._state = "new"
        # The start asked for by the first job, when nobody started the group before it.
        self._first_start: asyncio.Task[None] | None = None
        self._start_window: tuple[float, float | None] | None = None

    async def start(self) -> None:
        """Start every process now, so that no job waits for one to start."""
        if self._state != "new":
            raise RuntimeError(f"the {self._name} processes are already started or closed")
        self._state = "started"
        try:
            await asyncio.gather(*(self._add() for _ in range(self._size)))
        except BaseException:
            await self.close()  # a bot that cannot start leaves no processes behind
            raise

    async def ensure_started(self) -> None:
        """Start every process unless the group is started already (a group whose jobs may
        never come, started by its first one). A caller that stops waiting does not stop it."""
        if self._first_start is None:
            if self._state == "started":
                return
            self._first_start = asyncio.create_task(self._start_timed(), name=f"{self._name}-start")
        await asyncio.shield(self._first_start)

    async def _start_timed(self) -> None:
        began = time.monotonic()
        self._start_window = (began, None)
        try:
            await self.start()
        finally:
            self._start_window = (began, time.monotonic())

    def seconds_starting(self, since: float) -> float:
        """How long, since the monotonic time `since`, jobs waited for ensure_started."""
        if self._start_window is None:
            return 0.0
        began, ended = self._start_window
        return max(0.0, (time.monotonic() if ended is None else ended) - max(began, since))

    async def close(self) -> None:
        """Stop every process; jobs still running are ended with them."""
        first = self._first_start
        if first is not None and not first.done() and first is not asyncio.current_task():
            first.cancel()
            await asyncio.gather(first, return_exceptions=True)
        self._state = "closed"
        for task in self._starting:
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)
        workers, self._all = self._all, set()
        for worker in workers:
            worker.kill()
        loop = asyncio.get_running_loop()
        for worker in workers:
            await loop.run_in_executor(self._starter, worker.executor.shutdown)
        self._starter.shutdown(wait=False)

    def process_ids(self) -> list[int]:
        """The ids of the processes ready for jobs (for operators' tools and tests)."""
        return [pid for worker in self._all if worker.ready and (pid := worker.pid()) is not None]

    async def run(
        self,
        job: Callable[..., _Result],
        *args: object,
        recycle: bool = False,
        large: bool = False,
    ) -> _Result:
        """The job's result, from the first idle process; with recycle, that process is
        replaced afterwards (it may hold on to memory the job made it take). A large job waits
        for its turn among the large jobs of every group sharing `large_jobs`."""
        if self._state != "started":
            raise RuntimeError(f"the {self._name} processes are not started")
        if not large or self._large_jobs is None:
            return await self._run(job, args, recycle)
        async with self._large_jobs:
            return await self._run(job, args, recycle)

    async def _run(
        self, job: Callable[..., _Result], args: tuple[object, ...], recycle: bool
    ) -> _Result:
        worker, running = await self._submit(job, args)
        replace = recycle
        try:
            return await running
        except BrokenProcessPool as error:
            replace = True
            if self._state != "started":  # the group is closing: the process was ended for it
                raise WorkerLost(f"the {self._name} processes closed") from error
            exit_code = await worker.exit_code()
            if exit_code in _ASKED_TO_END:
                # A service manager stopping the service signals every process of it at once
                # (systemd's control group): the process was stopped, not killed by its job.
                log.warning("a %s process was stopped (%s)", self._name, _how_it_ended(exit_code))
                raise WorkerLost(f"a {self._name} process was stopped") from error
            killed = JobKilled(self._name, exit_code)
            log.warning("%s, starting a new one", killed)
            raise killed from error
        except MemoryError:
            replace = True
            log.warning("a %s job passed its memory cap, starting a new process", self._name)
            raise OverLimit(f"more than {_mib(self._limits.memory_bytes)} MiB") from None
        except asyncio.CancelledError:
            # Nobody waits for the job any more: it must not go on using the process.
            replace = True
            raise
        finally:
            if replace:
                self._replace(worker)
            else:
                self._idle.put_nowait(worker)

    async def _submit(
        self, job: Callable[..., _Result], args: tuple[object, ...]
    ) -> tuple[_Worker, asyncio.Future[_Result]]:
        """The job, handed to the first idle process that is still alive."""
        loop = asyncio.get_running_loop()
        while True:
            worker = await self._idle.get()
            try:
                if not worker.alive():
                    raise BrokenProcessPool("it ended while idle")
                return worker, loop.run_in_executor(
                    worker.executor, _limited, self._limits.cpu_seconds, job, *args
                )
            except BrokenProcessPool as error:
                # Dead before the job reached it: not the job's doing, so another process runs it.
                log.warning("a %s process had died, starting a new one: %s", self._name, error)
                self._replace(worker)
            if self._state != "started":
                raise WorkerLost(f"the {self._name} processes closed")

    def _replace(self, worker: _Worker) -> None:
        self._all.discard(worker)
        worker.kill()
        if self._state == "started":
            task = asyncio.create_task(self._add(), name=f"{self._name}-replace")
            self._starting.add(task)
            task.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[None]) -> None:
        self._starting.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("a %s process could not start", self._name, exc_info=error)

    async def _add(self) -> None:
        worker = _Worker(self._limits)
        self._all.add(worker)
        try:
            await asyncio.get_running_loop().run_in_executor(self._starter, worker.start)
        except BaseException:
            self._all.discard(worker)
            worker.kill()
            raise
        if self._state == "started":
            self._idle.put_nowait(worker)
        else:
            worker.kill()


def _how_it_ended(exit_code: int | None) -> str:
    if exit_code is None:
        return "how is not known"
    if exit_code < 0:
        return f"signal {-exit_code}"
    return f"exit status {exit_code}"


def _mib(size: int | None) -> str:
    return "?" if size is None else f"{size / (1 << 20):g}"


def _limited(cpu_seconds: int | None, job: Callable[..., _Result], *args: object) -> _Result:
    """In a worker: the job, ended by the kernel once it has used cpu_seconds of CPU."""
    if cpu_seconds is None:
        return job(*args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    # Whole seconds only: the job gets between cpu_seconds - 1 and cpu_seconds.
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.floor(used) + cpu_seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    try:
        return job(*args)
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


def _worker_started(bot: int, memory_bytes: int | None, preload: tuple[str, ...]) -> None:
    """In a new worker: import what jobs need, cap memory, end with the bot's process."""
    # Ctrl-C reaches the whole process group; the bot shuts its workers down in order itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A process ended for its CPU time leaves no core file the size of its memory behind.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for module in preload:
        __import__(module)
    _one_malloc_arena()
    threading.stack_size(_WATCH_STACK_BYTES)
    threading.Thread(target=_exit_with, args=(bot,), name="exit-with-bot", daemon=True).start()
    if memory_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _one_malloc_arena() -> None:
    """Every thread allocates from the one heap: glibc would reserve 64 MiB of address space for
    the watching thread's own arena, unused but counted against the memory cap."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing reserved so
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1)


def _exit_with(bot: int) -> None:
    """End this worker once the bot's process has ended, however it ended (SIGKILL too).

    A pool's worker waits for jobs on a pipe it holds both ends of: without this, a killed bot
    would leave its workers behind.
    """
    try:
        watched = os.pidfd_open(bot)
    except ProcessLookupError:  # ended already
        os._exit(0)
    except AttributeError:  # not Linux: the bot's own shutdown is all there is
        return
    select.select([watched], [], [])  # readable once the process has ended
    os._exit(0)
