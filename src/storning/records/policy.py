"""The retention policy (gallringsregler): how long personal data is kept after a case closes, per case
type and outcome, and the decision each rule rests on. Data in `workflows/gallring/policy.yaml` (a
folder of its own: the workflow loader reads every `workflows/*.yaml` as a workflow), validated like the
workflows: every problem is one Swedish sentence naming the file, the line and the path inside it.

Format (docs/gallring.md):

    decision: "Gallringsbeslut 2026:1 …"          # the landlord's decision the rules rest on
    case_types:
      storning:
        keep: 2 år                                 # after the case closed (a move-out closes it)
        kept_after: "Statistik utan personuppgifter …"
        outcomes: {avhyst: {keep: 10 år, decision: "…"}}   # codes of storning.vocabulary.OUTCOMES
        open_debt: {keep: 10 år}                   # while facts.balance (or amount) > 0, not settled
        dispute_states: [hyresnamnd, kronofogden]  # legal-track states held automatically
    access_log: {keep: 2 år}
    outbox: {keep: 90 dagar}
    intake: {keep: 1 år}                           # optional (default 1 år): see below

`intake`: how long a night-patrol report that never reached a case (still in the queue, or dismissed)
keeps its address, text and reporter after it arrived; then they are erased and the row (kind,
external id, dates, status) stays. Items that reached a case are erased with the case.

A case's retention is the longest of the rules that apply to it (a careful reading: when two rules
disagree, the data is kept until both allow erasure).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from dateutil.relativedelta import relativedelta

from storning.definitions.yamlsource import DuplicateKey, LocatedDocument, load_located
from storning.errors import InvalidInput
from storning.vocabulary import OUTCOMES

POLICY_FILE = Path("gallring") / "policy.yaml"  # inside the workflows folder

_PERIOD = re.compile(r"(-?\s*\d+)\s+(\S+)")
_UNITS = {
    "dag": "days",
    "dagar": "days",
    "day": "days",
    "days": "days",
    "vecka": "weeks",
    "veckor": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "månad": "months",
    "månader": "months",
    "month": "months",
    "months": "months",
    "år": "years",
    "year": "years",
    "years": "years",
}


DEFAULT_INTAKE_KEEP_TEXT = "1 år"


class PolicyError(InvalidInput):
    """The retention policy file is missing or invalid; the message names file, line and path."""

    code = "policy_error"


@dataclass(frozen=True)
class Period:
    """A retention period as written ('2 år'): a whole number of days, weeks, months or years."""

    amount: int
    unit: str  # days | weeks | months | years
    text: str

    def after(self, moment: datetime) -> datetime:
        delta = relativedelta(**{self.unit: self.amount})
        later: datetime = moment + delta
        return later


DEFAULT_INTAKE_KEEP = Period(1, "years", DEFAULT_INTAKE_KEEP_TEXT)


@dataclass(frozen=True)
class Rule:
    """One retention rule: the period, what is kept after it, and the decision it rests on."""

    name: str  # 'storning', 'storning/avhyst', 'hyresskuld/open_debt'
    keep: Period
    decision: str
    kept_after: str


@dataclass(frozen=True)
class CaseTypePolicy:
    default: Rule
    outcomes: dict[str, Rule] = field(default_factory=dict)
    open_debt: Rule | None = None
    dispute_states: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Policy:
    file: str
    digest: str  # sha256 of the file's text, recorded with every run
    decision: str
    case_types: dict[str, CaseTypePolicy]
    access_log: Rule
    outbox: Rule
    intake: Rule

    def rules_for(self, case_type: str, outcome: str | None, facts: dict[str, Any]) -> list[Rule]:
        """Every rule that applies to a closed case of this type, outcome and facts."""
        kind = self.case_types.get(case_type)
        if kind is None:
            return []
        rules = [kind.default]
        if outcome is not None and outcome in kind.outcomes:
            rules.append(kind.outcomes[outcome])
        if kind.open_debt is not None and has_open_debt(facts):
            rules.append(kind.open_debt)
        return rules


def has_open_debt(facts: dict[str, Any]) -> bool:
    """Whether the tenant still owes money according to the case's facts (a claim may be made)."""
    if facts.get("settled") is True:
        return False
    owed = facts.get("balance", facts.get("amount"))
    try:
        return owed is not None and float(owed) > 0
    except (TypeError, ValueError):
        return False


def policy_path(workflows_dir: Path) -> Path:
    return workflows_dir / POLICY_FILE


def load_policy(path: Path, states: dict[str, frozenset[str]]) -> Policy:
    """Read and check the policy. `states`: each known case type's legal-track states."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(
            f"{path}: gallringsreglerna saknas; lägg filen där (se docs/gallring.md)."
        ) from None
    except (OSError, UnicodeDecodeError):
        raise PolicyError(
            f"{path}: filen med gallringsregler går inte att läsa som text."
        ) from None
    return parse_policy(text, str(path), states)


def parse_policy(text: str, file: str, states: dict[str, frozenset[str]]) -> Policy:
    try:
        doc = load_located(text, file)
    except DuplicateKey as error:
        raise PolicyError(
            f"{file}, rad {error.line}: nyckeln '{error.key}' står två gånger."
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise PolicyError(f"{file}, rad {line}: filen är inte giltig YAML.") from None
    reader = _Reader(doc)
    data = reader.mapping((), {"decision", "case_types", "access_log", "outbox", "intake"})
    decision = reader.text(("decision",), data.get("decision"))
    kinds = reader.mapping(("case_types",), None, value=data.get("case_types"))
    case_types = {}
    for name, raw in kinds.items():
        if name not in states:
            known = ", ".join(sorted(states))
            reader.fail(("case_types", name), f"okänd ärendetyp '{name}' (kända: {known})")
        case_types[str(name)] = reader.case_type(("case_types", name), raw, decision, states[name])
    return Policy(
        file=file,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        decision=decision,
        case_types=case_types,
        access_log=reader.rule(("access_log",), "access_log", data.get("access_log"), decision),
        outbox=reader.rule(("outbox",), "outbox", data.get("outbox"), decision),
        intake=reader.rule(("intake",), "intake", data["intake"], decision)
        if "intake" in data
        else Rule("intake", DEFAULT_INTAKE_KEEP, decision, ""),
    )


class _Reader:
    """Checks one located document, raising at the first problem with its file and line."""

    def __init__(self, doc: LocatedDocument) -> None:
        self.doc = doc

    def fail(self, path: tuple[Any, ...], message: str) -> None:
        raise PolicyError(f"{self.doc.where(path)}: {message}.")

    def mapping(
        self, path: tuple[Any, ...], keys: set[str] | None, *, value: Any = ...
    ) -> dict[Any, Any]:
        data = self.doc.data if value is ... else value
        if not isinstance(data, dict):
            self.fail(path, "här ska stå en tabell med nycklar och värden")
        assert isinstance(data, dict)
        for key in data:
            if keys is not None and key not in keys:
                self.fail(
                    (*path, key), f"okänd nyckel '{key}' (tillåtna: {', '.join(sorted(keys))})"
                )
        return data

    def text(self, path: tuple[Any, ...], value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "här ska stå en text (ett beslut eller en beskrivning)")
        assert isinstance(value, str)
        return " ".join(value.split())

    def period(self, path: tuple[Any, ...], value: Any) -> Period:
        match = _PERIOD.fullmatch(value.strip()) if isinstance(value, str) else None
        unit = _UNITS.get(match.group(2).lower()) if match else None
        if match is None or unit is None:
            self.fail(
                path,
                f"perioden {value!r} går inte att läsa; skriv till exempel '2 år' eller '90 dagar'",
            )
        assert match is not None and unit is not None
        amount = int(match.group(1).replace(" ", ""))
        if amount < 0:
            self.fail(
                path,
                f"perioden '{value}' är negativ; ange hur länge uppgifterna sparas (0 eller mer)",
            )
        return Period(amount, unit, " ".join(str(value).split()))

    def rule(self, path: tuple[Any, ...], name: str, raw: Any, decision: str) -> Rule:
        data = self.mapping(path, {"keep", "decision", "kept_after"}, value=raw)
        if "keep" not in data:
            self.fail(path, "nyckeln 'keep' (hur länge uppgifterna sparas) saknas")
        return Rule(
            name=name,
            keep=self.period((*path, "keep"), data["keep"]),
            decision=self.text((*path, "decision"), data["decision"])
            if "decision" in data
            else decision,
            kept_after=(
                self.text((*path, "kept_after"), data["kept_after"]) if "kept_after" in data else ""
            ),
        )

    def case_type(
        self, path: tuple[Any, ...], raw: Any, decision: str, legal_states: frozenset[str]
    ) -> CaseTypePolicy:
        keys = {"keep", "decision", "kept_after", "outcomes", "open_debt", "dispute_states"}
        data = self.mapping(path, keys, value=raw)
        name = str(path[-1])
        base = {k: v for k, v in data.items() if k in {"keep", "decision", "kept_after"}}
        default = self.rule(path, name, base, decision)
        outcomes = {}
        for code, rule in self.mapping(
            (*path, "outcomes"), None, value=data.get("outcomes", {})
        ).items():
            if code not in OUTCOMES:
                self.fail(
                    (*path, "outcomes", code),
                    f"okänt utfall '{code}' (kända: {', '.join(OUTCOMES)})",
                )
            outcomes[str(code)] = self._inherit(
                self.rule((*path, "outcomes", code), f"{name}/{code}", rule, default.decision),
                default,
            )
        open_debt = None
        if "open_debt" in data:
            open_debt = self._inherit(
                self.rule(
                    (*path, "open_debt"), f"{name}/open_debt", data["open_debt"], default.decision
                ),
                default,
            )
        disputes = data.get("dispute_states", [])
        if not isinstance(disputes, list):
            self.fail((*path, "dispute_states"), "här ska stå en lista med tillstånd")
        for i, state in enumerate(disputes):
            if state not in legal_states:
                self.fail(
                    (*path, "dispute_states", i),
                    f"okänt tillstånd '{state}' i det hyresjuridiska spåret för {name}",
                )
        return CaseTypePolicy(default, outcomes, open_debt, frozenset(disputes))

    @staticmethod
    def _inherit(rule: Rule, default: Rule) -> Rule:
        """A special rule keeps the case type's description of what is kept unless it has its own."""
        if rule.kept_after:
            return rule
        return Rule(rule.name, rule.keep, rule.decision, default.kept_after)
