"""Running one task per service in dependency order, side by side: a
service's task starts as soon as the tasks of all its dependencies have
finished, so services at the same depth start together (as docker compose
starts them) while a dependent never starts before what it depends on."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from hullbox.linux.sigthreads import signals_to_main_thread

#: tasks at once: starting a container mostly waits on its monitor process
MAX_WORKERS = 8

# task(name, the finished services whose task returned True) -> True when it changed something
Task = Callable[[str, frozenset[str]], bool]


def in_dependency_order(names: list[str], dependencies: dict[str, list[str]],
                        task: Task) -> set[str]:
    """Run ``task`` for every name once its ``dependencies`` (those among
    ``names``) are done; the names whose task returned True. The first
    failure stops anything new from starting, lets the running tasks end,
    and is raised."""
    deps = {name: [d for d in dependencies.get(name, []) if d in names and d != name]
            for name in names}
    pending, done, changed = list(names), set[str](), set[str]()
    running: dict[Future[bool], str] = {}
    error: BaseException | None = None
    pool = ThreadPoolExecutor(max_workers=min(MAX_WORKERS, max(len(names), 1)),
                              thread_name_prefix="compose")
    try:
        while pending or running:
            for name in [n for n in pending if all(d in done for d in deps[n])]:
                pending.remove(name)
                with signals_to_main_thread():  # a worker made now: Ctrl-C wakes wait()
                    running[pool.submit(task, name, frozenset(changed))] = name
            if not running:  # only a cycle could leave names waiting; the loader refuses those
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                try:
                    if future.result():
                        changed.add(name)
                except Exception as exc:  # raised below, once the running tasks end
                    error = error or exc
                done.add(name)
            if error is not None:
                pending.clear()
    except KeyboardInterrupt:
        # Ctrl-C: start nothing more and return at once, so the caller can act
        # (kill what a running stop still waits for) instead of joining first.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    if error is not None:
        raise error
    return changed
