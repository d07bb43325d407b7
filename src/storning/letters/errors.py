"""The one error the letters package raises for anything a user or an administrator can fix."""

from __future__ import annotations

from storning.errors import StorningError


class LetterTemplateError(StorningError):
    """A letter cannot be produced: unknown template, a value missing from the case, or a template
    that does not parse or typeset. The message is one Swedish sentence naming the letter and what
    is wrong; `template` and `field` (when a value is missing) are there for programs."""

    code = "letter_template"

    def __init__(self, message: str, *, template: str | None = None, field: str | None = None):
        super().__init__(message)
        self.template = template
        self.field = field
