"""The command line: thin over the services. Errors are one sentence on stderr with exit code 1.

storning init
storning case open --type storning --tenant "Kim Hyresgäst" --address "Storgatan 1" --apartment 1102
storning case show S-2026-0001
"""

from storning.cli import (  # noqa: F401  (commands)
    cases,
    complainants,
    intake,
    integrations,
    letters,
    outcomes_report,
    privacy,
    records,
    serve,
    stats,
    timers,
    users,
    workflows,
)
from storning.cli.base import main

__all__ = ["main"]
