#!/usr/bin/env python3
"""Post a night's reports from the störningsjour to Storning (standard library only).

    STORNING_TOKEN=stn_… python3 jour_client.py jour-2026-03-02.csv \
        --url https://storning.example.se [--batch 500] [--dry-run]

The CSV has the columns external_id, start, end, contract, address, apartment, observed,
verification, police_reference, kind, reporter (comma or semicolon separated, UTF-8); empty cells
are left out. The reports are posted in batches to `POST /api/jour/reports`. Re-sending a file is
safe: Storning imports each external_id once. A refused batch prints Storning's sentence and the
script exits 1 (the batches before it are stored; each batch is all or nothing).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any


def read_reports(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        sample = file.read(2000)
        file.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        rows = csv.DictReader(file, delimiter=delimiter)
        return [
            {k.strip(): v.strip() for k, v in row.items() if k and v and v.strip()} for row in rows
        ]


def batches(reports: list[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    for start in range(0, len(reports), size):
        yield reports[start : start + size]


def post(url: str, token: str, reports: list[dict[str, str]], dry_run: bool) -> dict[str, Any]:
    query = "?dry_run=true" if dry_run else ""
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/jour/reports{query}",
        data=json.dumps({"reports": reports}).encode("utf-8"),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        result: dict[str, Any] = json.load(response)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description="Skicka störningsjourens rapporter till Storning.")
    parser.add_argument("file", help="CSV-fil med rapporter")
    parser.add_argument("--url", default=os.environ.get("STORNING_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--batch", type=int, default=500, help="rapporter per anrop")
    parser.add_argument("--dry-run", action="store_true", help="kontrollera bara, spara inget")
    args = parser.parse_args()
    token = os.environ.get("STORNING_TOKEN", "")
    if not token:
        print("Ange API-token i miljövariabeln STORNING_TOKEN.", file=sys.stderr)
        return 1
    totals = {"matched": 0, "queued": 0, "already_imported": 0}
    for batch in batches(read_reports(args.file), args.batch):
        try:
            result = post(args.url, token, batch, args.dry_run)
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            try:
                message = json.loads(body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = body[:200]
            print(f"Storning avvisade rapporterna ({error.code}): {message}", file=sys.stderr)
            return 1
        except urllib.error.URLError as error:
            print(f"Kan inte nå Storning på {args.url}: {error.reason}", file=sys.stderr)
            return 1
        for key in totals:
            totals[key] += int(result.get(key, 0))
    print(
        f"{totals['matched']} kopplade till ärenden, {totals['queued']} till inkorgen, "
        f"{totals['already_imported']} redan importerade."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
