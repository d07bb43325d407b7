"""Intake benchmark (issue 16): a tenancy-register import and a night of jour reports, each run twice.

    .venv/bin/python bench/intake.py [--rows 100000] [--reports 10000] [--cases 50] [--db URL]

The register CSV has `--rows` contracts (through the example column mapping); the jour file has
`--reports` reports, one in twenty about an apartment with an open case (recorded as an incident
verified by `jour` through the engine), the rest for the intake queue. Each import runs twice: the
second run must change nothing (and is faster: the register compares digests, the jour import skips
known external ids). Targets (DESIGN.md §8): register ≤ 30 s, jour ≤ 20 s. Without `--db`, a
temporary SQLite file.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchdb import database  # noqa: E402
from storning import services  # noqa: E402
from storning.app import App  # noqa: E402
from storning.config import Settings  # noqa: E402
from storning.services import night_patrol  # noqa: E402
from storning.services import register as register_service  # noqa: E402
from storning.store.models import Incident, IntakeItem, RegisterContract  # noqa: E402

ZONE = ZoneInfo("Europe/Stockholm")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
MAPPING = ROOT / "docs" / "examples" / "register-mapping.yaml"
TARGETS = {"register": 30.0, "jour": 20.0}
HEAD = [
    "Kontraktsnummer", "Hyresgäst", "Personnummer", "Medhyresgäster", "Adress",
    "Lägenhetsnummer", "Postnummer", "Ort", "Kommun", "Fastighet", "Inflyttning", "Utflyttning",
]  # fmt: skip


def make_app(url: str) -> App:
    settings = replace(
        Settings.from_env({}),
        db_url=url,
        workflows_dir=ROOT / "workflows",
        letters_dir=ROOT / "letters",
    )
    return App.create(settings)


def street(n: int) -> tuple[str, str]:
    return f"Bänkgatan {n // 40 + 1}", f"{1000 + n % 40:04d}"


def write_register(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        out = csv.writer(file, delimiter=";")
        out.writerow(HEAD)
        for n in range(rows):
            address, flat = street(n)
            out.writerow(
                [
                    f"B-{n:07d}",
                    f"Hyresgäst {n}",
                    "",
                    f"Sambo {n}" if n % 3 == 0 else "",
                    address,
                    flat,
                    "602 20",
                    "Norrköping",
                    "Norrköping",
                    f"Bänken {n // 40 + 1}",
                    "2015-01-01",
                    "",
                ]
            )


def write_jour(path: Path, reports: int, cases: int) -> None:
    night = T0 - timedelta(hours=10)
    with path.open("w", encoding="utf-8", newline="") as file:
        out = csv.writer(file)
        out.writerow(["external_id", "start", "contract", "address", "apartment", "observed",
                      "verification"])  # fmt: skip
        for n in range(reports):
            matched = n % 20 == 0
            contract = f"B-{(n // 20) % cases:07d}" if matched else ""
            address, flat = ("", "") if matched else (f"Okänd väg {n}", "0101")
            at = (night + timedelta(seconds=n)).isoformat()
            out.writerow(
                [f"SJ-{n:06d}", at, contract, address, flat, "Hög musik", "Hört av jouren"]
            )


def open_cases(app: App, cases: int) -> None:
    now = T0 - timedelta(hours=20)
    for n in range(cases):
        address, flat = street(n)
        services.open_case(
            app,
            "officer",
            now,
            services.NewCase(
                case_type="storning",
                tenant=f"Hyresgäst {n}",
                address=address,
                apartment=flat,
                contract=f"B-{n:07d}",
            ),
        )


def count(app: App, model: type) -> int:
    with app.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def timed(label: str, work: object) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    result = work()  # type: ignore[operator]
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument(
        "--db", help="PostgreSQL URL (a private schema is made and dropped; default: SQLite)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.db, "intake") as url:
        folder = Path(tmp)
        app = make_app(url)
        services.init_database(app, T0 - timedelta(days=2))
        services.add_user(app, "chef", "Chef", ["chef", "handlaggare"], team="t")
        services.add_user(app, "officer", "Handläggare", ["handlaggare"], team="t")
        open_cases(app, args.cases)
        register_csv, jour_csv = folder / "register.csv", folder / "jour.csv"
        write_register(register_csv, args.rows)
        write_jour(jour_csv, args.reports, args.cases)

        rows = []
        for run in (1, 2):
            seconds, result = timed(
                "register",
                lambda run=run: register_service.import_register_file(
                    app, "chef", T0 + timedelta(minutes=run), register_csv, mapping_path=MAPPING
                ),
            )
            rows.append(("register", run, args.rows, seconds, result["created"], result["updated"],
                         result["unchanged"]))  # fmt: skip
        assert count(app, RegisterContract) == args.rows
        for run in (1, 2):
            seconds, result = timed(
                "jour",
                lambda run=run: night_patrol.import_jour_file(
                    app, "officer", T0 + timedelta(minutes=10 + run), jour_csv
                ),
            )
            rows.append(("jour", run, args.reports, seconds, result["matched"], result["queued"],
                         result["already_imported"]))  # fmt: skip
        assert count(app, IntakeItem) == args.reports
        incidents = count(app, Incident)
        app.db.dispose()

    print(f"{'import':10} {'körning':>7} {'rader':>8} {'sekunder':>9} {'mål s':>6} "
          f"{'rader/s':>9}  ändrat")  # fmt: skip
    for what, run, n, seconds, a, b, c in rows:
        target = TARGETS[what]
        scaled = target * n / (100_000 if what == "register" else 10_000)
        flag = "" if seconds <= scaled else "  ÖVER MÅLET"
        changes = (
            f"nya {a}, ändrade {b}, oförändrade {c}"
            if what == "register"
            else f"kopplade {a}, till inkorgen {b}, redan importerade {c}"
        )
        print(f"{what:10} {run:7} {n:8} {seconds:9.2f} {scaled:6.1f} {n / seconds:9.0f}  "
              f"{changes}{flag}")  # fmt: skip
    print(
        f"störningar registrerade: {incidents}; mål skalade till storleken (fullt mål: register "
        f"100 000 rader ≤ 30 s, jour 10 000 rapporter ≤ 20 s)"
    )
    print(f"belastning (load average 1 min): {os.getloadavg()[0]:.2f} på {os.cpu_count()} kärnor")
    for what in ("register", "jour"):
        first, second = (r for r in rows if r[0] == what)
        status = "ok" if second[3] < first[3] and second[4] == second[5] == 0 else "KONTROLLERA"
        print(
            f"{what}: andra körningen {second[3]:.2f} s mot {first[3]:.2f} s, ändrar inget: {status}"
        )


if __name__ == "__main__":
    main()
