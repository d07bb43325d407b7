"""Baseline benchmark: the disturbance lifecycle run on SpiffWorkflow 3.2.

The same process as ``bench/disturbance.bpmn`` (three parallel lanes, each with
three user tasks and a ``PT0S`` timer, joined before the end event) is parsed
once and then run ``instances`` times to completion.  One step is one user task
completed.  With ``persist=True`` the workflow is serialized to JSON with
``BpmnWorkflowSerializer`` after every user task, to approximate an engine that
saves its state on each step.

Run as ``python bench/spiff_lifecycle.py [instances]``.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path
from typing import Any

BPMN_PATH = Path(__file__).with_name("disturbance.bpmn")
PROCESS_ID = "disturbance"
USER_TASKS_PER_INSTANCE = 9


def _load_spec() -> tuple[Any, Any]:
    """Import SpiffWorkflow lazily and parse the process spec once."""
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN_PATH))
    return parser.get_spec(PROCESS_ID), BpmnWorkflowSerializer()


def _run_instance(spec: Any, serializer: Any, persist: bool, save: Any = None) -> int:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    done = 0
    while not workflow.is_completed():
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            # Only timers can be pending; PT0S ones fire on refresh.
            workflow.refresh_timers()
            workflow.do_engine_steps()
            if not workflow.get_tasks(state=TaskState.READY, manual=True) and (
                not workflow.is_completed()
            ):
                raise RuntimeError("SpiffWorkflow instance stalled before completion")
            continue
        for task in ready:
            task.run()
            done += 1
            # Fire timers that became due (PT0S) and advance engine tasks.
            workflow.refresh_timers()
            workflow.do_engine_steps()
            if persist:
                state = serializer.serialize_json(workflow)
                if save is not None:
                    save(state)
    return done


def run_spiff_durable(instances: int, db_path: Path) -> dict:
    """Like `run_spiff(persist=True)`, and each serialized state is also written to a SQLite file
    (WAL, synchronous=NORMAL — the settings storning uses) in its own transaction, as a durable
    workflow service must do after every step."""
    import sqlite3

    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS workflows (id INTEGER PRIMARY KEY, state TEXT)")
    counter = {"id": 0}

    def save(state: str) -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT OR REPLACE INTO workflows (id, state) VALUES (?, ?)", (counter["id"], state)
        )
        connection.execute("COMMIT")

    try:
        return run_spiff(
            instances, persist=True, save=save, on_instance=lambda n: counter.update(id=n)
        )
    finally:
        connection.close()


def run_spiff(
    instances: int, persist: bool = False, save: Any = None, on_instance: Any = None
) -> dict:
    """Run `instances` complete lifecycles with SpiffWorkflow 3.2 and return
    {"instances": n, "steps": total user tasks completed (9*n), "seconds": wall time,
    "steps_per_s": float}.

    With ``persist=True`` the workflow is serialized to JSON after every user task.
    The spec is parsed once, outside the timed section.
    """
    if instances < 1:
        raise ValueError("instances must be >= 1")
    with warnings.catch_warnings():
        # SpiffWorkflow may emit deprecation warnings; keep them from turning into
        # errors under pytest's ``filterwarnings = error``.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        spec, serializer = _load_spec()
        steps = 0
        start = time.perf_counter()
        for n in range(instances):
            if on_instance is not None:
                on_instance(n)
            done = _run_instance(spec, serializer, persist, save)
            assert done == USER_TASKS_PER_INSTANCE, f"expected 9 user tasks, got {done}"
            steps += done
        seconds = time.perf_counter() - start
    assert steps == USER_TASKS_PER_INSTANCE * instances
    return {
        "instances": instances,
        "steps": steps,
        "seconds": seconds,
        "steps_per_s": steps / seconds if seconds > 0 else float("inf"),
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    instances = int(args[0]) if args else 200
    for persist in (False, True):
        result = run_spiff(instances, persist=persist)
        label = "with persist" if persist else "no persist"
        print(
            f"spiffworkflow ({label}): {result['instances']} instances, "
            f"{result['steps']} steps in {result['seconds']:.3f} s "
            f"= {result['steps_per_s']:.1f} steps/s"
        )


if __name__ == "__main__":
    main()
