"""Letter rendering benchmark: warm median per template, then a batch with a progress bar.

    .venv/bin/python bench/letters.py [--repeat 30] [--batch 1000]

Every timed render gets a different case reference, tenant name and letter date, as a real batch
would, so Typst's caches cannot simply replay the previous letter. The batch runs twice: templates
in mixed order, then grouped by template. The typst binding evicts cache entries that the last 10
compilations did not use, so cycling through all 14 templates runs colder than a batch of one kind
(e.g. the day's reminders). Target (DESIGN.md §8): median ≤ 10 ms per letter warm; 1,000 letters
in a batch with a progress bar.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from typing import Any

from tqdm import tqdm

from storning.letters import available_templates, render_letter
from storning.letters.samples import sample_context

TARGET_MS = 10.0


def vary(ctx: dict[str, Any], i: int) -> dict[str, Any]:
    """`ctx` for the i-th letter of a batch: another case, tenant and date."""
    ctx["case"]["ref"] = f"S-2026-{i % 10_000:04d}"
    ctx["tenant"]["name"] = f"Kim Hyresgäst {i}"
    ctx["recipient"]["name"] = f"Mottagare {i}"
    ctx["letter"]["id"] = i
    ctx["letter"]["date"] += dt.timedelta(days=i % 7)
    return ctx


def warm_medians_ms(template: str, repeat: int) -> tuple[float, float]:
    """Median wall-clock and process-CPU milliseconds per letter, after one warm-up render.

    CPU time (all threads of this process) is shown beside wall time because on a shared machine
    other processes' load inflates wall time but not the work the renderer itself does.
    """
    render_letter(template, sample_context(template))  # warm: environment, compiler, fonts
    wall, cpu = [], []
    for i in range(repeat):
        ctx = vary(sample_context(template), i)
        start, start_cpu = time.perf_counter(), time.process_time()
        render_letter(template, ctx)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def batch_seconds(templates: list[str], n: int, *, grouped: bool) -> float:
    """Render n letters cycling through the templates, in mixed order or grouped by template."""
    contexts = [vary(sample_context(templates[i % len(templates)]), i) for i in range(n)]
    if grouped:
        contexts.sort(key=lambda ctx: ctx["letter"]["template"])
    label = "grupperad" if grouped else "blandad"
    start = time.perf_counter()
    for ctx in tqdm(contexts, desc=f"brev ({label})", unit="brev"):
        render_letter(ctx["letter"]["template"], ctx)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed renders per template")
    parser.add_argument("--batch", type=int, default=1000, help="letters in the batch (0: skip)")
    args = parser.parse_args()

    templates = list(available_templates())
    print(f"{'mall':28} {'median ms':>10} {'cpu ms':>8} {'brev/s':>8}")
    walls, cpus = [], []
    for name in templates:
        ms, cpu_ms = warm_medians_ms(name, args.repeat)
        walls.append(ms)
        cpus.append(cpu_ms)
        flag = "" if ms <= TARGET_MS else "  över målet"
        print(f"{name:28} {ms:10.2f} {cpu_ms:8.2f} {1000 / ms:8.0f}{flag}")
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    label = "median över mallarna"
    print(f"{label:28} {wall:10.2f} {cpu:8.2f} {1000 / wall:8.0f}  (mål ≤ {TARGET_MS} ms)")
    print(f"belastning (load average 1 min): {os.getloadavg()[0]:.2f} på {os.cpu_count()} kärnor")

    if args.batch:
        for grouped in (False, True):
            seconds = batch_seconds(templates, args.batch, grouped=grouped)
            rate = args.batch / seconds
            order = "grupperade per mall" if grouped else "mallarna i blandad ordning"
            summary = f"{rate:.0f} brev/s, {1000 / rate:.2f} ms/brev"
            print(f"batch, {order}: {args.batch} brev på {seconds:.2f} s ({summary})")


if __name__ == "__main__":
    main()
