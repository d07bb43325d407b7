"""Letters: Jinja templates in `letters/` that produce Typst, compiled to archivable PDF.

    from storning.letters import render_letter
    letter = render_letter("uppmaning", context)   # context: see letters/README.md
    letter.pdf, letter.sha256, letter.template_version

Every value printed from the context is escaped for Typst; letters to anyone but the complainant
never receive complainant data; a value a letter needs that is missing or None raises
`LetterTemplateError`.
"""

from storning.letters.catalog import (
    TEMPLATE_CATALOG,
    TemplateInfo,
    available_templates,
    template_path,
)
from storning.letters.errors import LetterTemplateError
from storning.letters.rendering import RenderedLetter, render_letter

__all__ = [
    "TEMPLATE_CATALOG",
    "LetterTemplateError",
    "RenderedLetter",
    "TemplateInfo",
    "available_templates",
    "render_letter",
    "template_path",
]
