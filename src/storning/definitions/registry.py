"""Which workflow versions exist. Definitions are stored in the database when `storning init` loads them,
so a running case keeps the rules it was opened with even after the YAML file changes. A change that
leaves every rule as it was (only the presentation keys such as `confirm`, comments or layout) replaces
the stored text of the same version; any other change needs a new version."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storning.definitions.loader import load_directory, load_text, rules_digest
from storning.definitions.model import Workflow
from storning.errors import DefinitionError, NotFound
from storning.store.models import WorkflowVersion


class WorkflowRegistry:
    """A cache of compiled definitions keyed by (id, version), filled from the database on demand."""

    def __init__(self, letters_dir: Path) -> None:
        self.letters_dir = letters_dir
        self._compiled: dict[tuple[str, int], Workflow] = {}

    def get(self, session: Session, workflow_id: str, version: int) -> Workflow:
        key = (workflow_id, version)
        compiled = self._compiled.get(key)
        if compiled is None:
            row = session.get(WorkflowVersion, key)
            if row is None:
                raise NotFound(
                    f"Arbetsflödet {workflow_id} version {version} finns inte; kör 'storning init'."
                )
            compiled = load_text(row.source, row.source_file, self.letters_dir)
            self._compiled[key] = compiled
        return compiled

    def latest(self, session: Session, workflow_id: str) -> Workflow:
        query = select(func.max(WorkflowVersion.version)).where(
            WorkflowVersion.workflow_id == workflow_id
        )
        version = session.scalar(query)
        if version is None:
            raise NotFound(
                f"Okänd ärendetyp '{workflow_id}'; kör 'storning workflow list' för att se vilka som finns."
            )
        return self.get(session, workflow_id, version)

    def install(
        self, session: Session, directory: Path, now: datetime
    ) -> list[tuple[Workflow, str]]:
        """Store every definition in `directory`; refuse a changed file whose version was not raised."""
        results = []
        for workflow in load_directory(directory, self.letters_dir):
            row = session.get(WorkflowVersion, workflow.key)
            if row is None:
                session.add(
                    WorkflowVersion(
                        workflow_id=workflow.id,
                        version=workflow.version,
                        title=workflow.title,
                        source=workflow.source,
                        source_file=workflow.source_file,
                        digest=workflow.digest,
                        loaded_at=now,
                    )
                )
                results.append((workflow, "ny"))
            elif row.digest != workflow.digest and rules_digest(row.source) == rules_digest(
                workflow.source
            ):
                # Only how events are offered on screen changed (`confirm`), or comments and layout:
                # no rule of a running case changes, so the stored definition takes the new text.
                row.source, row.source_file, row.digest = (
                    workflow.source,
                    workflow.source_file,
                    workflow.digest,
                )
                results.append((workflow, "uppdaterad (samma regler)"))
            elif row.digest != workflow.digest:
                raise DefinitionError(
                    [
                        f"{workflow.source_file}: the file differs from the stored {workflow.id} version "
                        f"{workflow.version}; raise 'version' so running cases keep their definition."
                    ]
                )
            else:
                results.append((workflow, "oförändrad"))
            self._compiled[workflow.key] = workflow
        return results

    def all_versions(self, session: Session) -> list[WorkflowVersion]:
        query = select(WorkflowVersion).order_by(
            WorkflowVersion.workflow_id, WorkflowVersion.version
        )
        return list(session.scalars(query))
