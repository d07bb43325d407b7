"""The use cases. Each is one transaction; the CLI, the web pages, the API and the worker call only these.

Every function takes the acting username and `now` (read once by the interface) and returns plain data.
"""

from storning.services.cases import (
    NewCase,
    add_incident,
    count_cases,
    fire_event,
    list_cases,
    open_case,
    reassign_case,
    show_case,
    update_case,
)
from storning.services.common import ALL_ROLES, SYSTEM_USER, _actor, _case, _change, _record
from storning.services.letters import (
    create_letter,
    letter_pdf,
    list_letters,
    mark_letter_delivered,
    mark_letter_sent,
    mark_letter_served,
    reissue_letter,
)
from storning.services.setup import add_user, init_database, migrate_cases

__all__ = [
    "ALL_ROLES",
    "SYSTEM_USER",
    "NewCase",
    "_actor",
    "_case",
    "_change",
    "_record",
    "add_incident",
    "add_user",
    "count_cases",
    "create_letter",
    "fire_event",
    "init_database",
    "letter_pdf",
    "list_cases",
    "list_letters",
    "mark_letter_delivered",
    "mark_letter_sent",
    "mark_letter_served",
    "migrate_cases",
    "open_case",
    "reassign_case",
    "reissue_letter",
    "show_case",
    "update_case",
]
