"""The use cases. Each is one transaction; the CLI, the web pages, the API and the worker call only these.

Every function takes the acting username and `now` (read once by the interface), decides for that
principal what it may read, change, override or disclose, redacts what it may not see, writes the access
log, validates the facts, and returns plain data (DESIGN invariant 9).
"""

from storning.services.case_page import CasePage, case_page
from storning.services.cases import (
    EDITABLE_FIELDS,
    NewCase,
    count_cases,
    fire_event,
    open_case,
    reassign_case,
    show_case,
    update_case,
)
from storning.services.common import ALL_ROLES, PROTECTED, SYSTEM_USER
from storning.services.complainants import (
    ComplainantDetails,
    add_complainant,
    update_complainant,
)
from storning.services.drafting import create_letter, reissue_letter
from storning.services.incidents import add_incident, correct_incident
from storning.services.letters import (
    LetterPdf,
    letter_pdf,
    list_letters,
    mark_letter_delivered,
    mark_letter_sent,
    mark_letter_served,
    mark_step_letters_sent,
)
from storning.services.lists import (
    due_items,
    list_cases,
    list_timers,
    owner_candidates,
    principal,
    worklist,
    worklist_view,
)
from storning.services.preview import letters_of_event, preview_event
from storning.services.reports import compile_report
from storning.services.setup import add_user, init_database, migrate_cases, schema_revisions

__all__ = [
    "ALL_ROLES",
    "EDITABLE_FIELDS",
    "PROTECTED",
    "SYSTEM_USER",
    "CasePage",
    "ComplainantDetails",
    "LetterPdf",
    "NewCase",
    "add_complainant",
    "add_incident",
    "add_user",
    "case_page",
    "compile_report",
    "correct_incident",
    "count_cases",
    "create_letter",
    "due_items",
    "fire_event",
    "init_database",
    "letter_pdf",
    "letters_of_event",
    "list_cases",
    "list_letters",
    "list_timers",
    "mark_letter_delivered",
    "mark_letter_sent",
    "mark_letter_served",
    "mark_step_letters_sent",
    "migrate_cases",
    "open_case",
    "owner_candidates",
    "preview_event",
    "principal",
    "reassign_case",
    "reissue_letter",
    "schema_revisions",
    "show_case",
    "update_case",
    "update_complainant",
    "worklist",
    "worklist_view",
]
