"""Render a letter: Jinja template + case context → Typst source → PDF/A-2b and PDF/UA-1 bytes.

The same template, template files and context always give byte-identical PDFs: the fonts are
Carlito shipped in `fonts/` (and `letters/fonts/`, if a landlord adds some) and, for the scripts
Carlito lacks (Arabic and Persian, Ethiopic, Chinese, emoji …), the Noto fonts of the Debian packages
that `scripts/setup` installs (`SYSTEM_FONTS`); no other system font is used. The document date and
PDF timestamp are the letter's date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import typst

from storning.letters.catalog import SUFFIX, TemplateInfo, resolve_dir, template_info
from storning.letters.environment import make_environment
from storning.letters.errors import LetterTemplateError
from storning.letters.values import MissingValueError, wrap

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
PDF_STANDARDS = ["a-2b", "ua-1"]
# A preview on screen: an A4 page 794 px wide, as a browser shows a document at 100 %.
PREVIEW_PPI = 96.0

# The fallback fonts that `letters/_layout.typ` lists after Carlito, and the Debian package of each
# (installed by `scripts/setup`). Typst takes a character Carlito lacks from the first of them that
# has it, and otherwise from any font in `SYSTEM_FONT_DIRS` (Thai, Hebrew, Devanagari …).
SYSTEM_FONTS: dict[str, str] = {
    "Noto Sans Arabic": "fonts-noto-core",  # arabiska, persiska, kurdiska (sorani), dari, urdu
    "Noto Sans Ethiopic": "fonts-noto-core",  # tigrinja, amhariska
    "Noto Sans CJK SC": "fonts-noto-cjk",  # kinesiska (och japanska, koreanska)
    "Noto Color Emoji": "fonts-noto-color-emoji",
}
SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))

_UNKNOWN_FAMILY = re.compile(r"unknown font family: (.+)")
_NO_GLYPH = re.compile(r'the text `"(.*)"` could not be displayed with font')
_RUST_ESCAPE = re.compile(r"\\(?:u\{([0-9a-fA-F]+)\}|(.))")


@dataclass(frozen=True)
class RenderedLetter:
    """A rendered letter, as archived: the PDF, its sha256 (hex), the Typst source it was compiled
    from, the template name and version (12 hex of the sha256 over the template, the shared `_*`
    files of the letters directory and the catalog title), and the title."""

    pdf: bytes
    sha256: str
    source: str
    template: str
    template_version: str
    title: str


def render_letter(
    template: str, context: Mapping[str, Any], *, letters_dir: Path | None = None
) -> RenderedLetter:
    """Render `template` (a name in `letters/catalog.yaml`) with the engine's `context`.

    `letters_dir` defaults to `STORNING_LETTERS_DIR`, the checkout's `letters/` or the bundled copy.
    For every audience but `complainant` the `complainants` key is dropped before rendering.
    Raises `LetterTemplateError` (one Swedish sentence) for an unknown template, a missing or empty
    value the template needs, or a template that does not parse or typeset.
    """
    directory = resolve_dir(letters_dir)
    info = template_info(template, directory)
    return _renderer(directory).render(info, context)


def render_pages(
    template: str,
    context: Mapping[str, Any],
    *,
    letters_dir: Path | None = None,
    ppi: float = PREVIEW_PPI,
) -> list[bytes]:
    """The letter as PNG images, one a page, typeset from the same Typst source and fonts as its PDF
    (`render_letter`): a preview to show on a screen, never archived. Raises `LetterTemplateError`
    as `render_letter` does."""
    directory = resolve_dir(letters_dir)
    info = template_info(template, directory)
    return _renderer(directory).pages(info, context, ppi)


def jinja_source(
    template: str, context: Mapping[str, Any], *, letters_dir: Path | None = None
) -> str:
    """The Typst source `template` produces for `context` (the Jinja stage only, no typesetting):
    raises `LetterTemplateError` with `field` set when a value the template needs is missing."""
    directory = resolve_dir(letters_dir)
    info = template_info(template, directory)
    renderer = _renderer(directory)
    return renderer._source(info, renderer._prepare(info, context))


class _Renderer:
    """The Jinja environment and Typst compiler of one letters directory (both costly to build)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.env = make_environment(directory)
        own = [d for d in [directory / "fonts"] if d.is_dir()]
        system = [d for d in SYSTEM_FONT_DIRS if d.is_dir()]
        fonts = _fonts(tuple(str(d) for d in [FONTS_DIR, *own, *system]))
        families = set(fonts.families())
        # Fallback fonts that are not installed: a letter needing one names the package to install.
        self.missing_fonts = {f: pkg for f, pkg in SYSTEM_FONTS.items() if f not in families}
        self.compiler = typst.Compiler(
            root=str(directory), font_paths=fonts, ignore_system_fonts=True
        )
        self.lock = threading.Lock()  # a typst.Compiler must not be used by two threads at once

    def render(self, info: TemplateInfo, context: Mapping[str, Any]) -> RenderedLetter:
        data = self._prepare(info, context)
        source = self._source(info, data)
        pdf = self._compile(info, source, _timestamp(info, context))
        return RenderedLetter(
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
            source=source,
            template=info.name,
            template_version=self.version(info),
            title=info.title,
        )

    def _prepare(self, info: TemplateInfo, context: Mapping[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in context.items() if v is not None}
        if not info.sees_complainants:
            data.pop("complainants", None)  # defence in depth: the engine never sends them either
        landlord = data.get("landlord")
        if isinstance(landlord, Mapping) and landlord.get("logo"):
            data["landlord"] = {**landlord, "logo": self._logo(info, str(landlord["logo"]))}
        wrapped = {key: wrap(value, key) for key, value in data.items()}
        wrapped["template"] = wrap(
            {"name": info.name, "title": info.title, "audience": info.audience}, "template"
        )
        return wrapped

    def _logo(self, info: TemplateInfo, logo: str) -> str:
        """The logo as a path from the letters directory's root, which Typst may read."""
        path = (self.directory / logo).resolve()
        if not path.is_relative_to(self.directory) or not path.is_file():
            raise LetterTemplateError(
                f'Brevet "{info.name}" kan inte skapas eftersom logotypen {logo} inte är en fil '
                f"i brevmappen {self.directory}.",
                template=info.name,
                field="landlord.logo",
            )
        return "/" + path.relative_to(self.directory).as_posix()

    def _source(self, info: TemplateInfo, data: dict[str, Any]) -> str:
        try:
            return self.env.get_template(info.name + SUFFIX).render(data)
        except MissingValueError as e:
            raise LetterTemplateError(
                f'Brevet "{info.name}" kan inte skapas eftersom uppgiften "{e.field}" saknas '
                "i underlaget.",
                template=info.name,
                field=e.field,
            ) from None
        except jinja2.TemplateSyntaxError as e:
            raise LetterTemplateError(
                f'Brevmallen "{info.name}" har ett fel i {e.filename or e.name} rad {e.lineno}: '
                f"{(e.message or '').rstrip('.')}.",
                template=info.name,
            ) from None
        except jinja2.TemplateNotFound as e:
            raise LetterTemplateError(
                f'Brevmallen "{info.name}" saknar filen {e.name} i brevmappen {self.directory}.',
                template=info.name,
            ) from None
        except (jinja2.TemplateError, TypeError, ValueError) as e:
            raise LetterTemplateError(
                f'Brevet "{info.name}" kan inte skapas: {str(e).rstrip(".")}.', template=info.name
            ) from None

    def pages(self, info: TemplateInfo, context: Mapping[str, Any], ppi: float) -> list[bytes]:
        source = self._source(info, self._prepare(info, context))
        images = self._typeset(info, source, format="png", ppi=ppi)
        return images if isinstance(images, list) else [images]

    def _compile(self, info: TemplateInfo, source: str, timestamp: dt.datetime) -> bytes:
        pdf = self._typeset(
            info, source, format="pdf", pdf_standards=PDF_STANDARDS, timestamp=timestamp
        )
        assert isinstance(pdf, bytes)
        return pdf

    def _typeset(self, info: TemplateInfo, source: str, **options: Any) -> bytes | list[bytes]:
        """Compile `source` (PDF or PNG pages); an error or a warning is one Swedish sentence."""
        try:
            with self.lock:
                output, warnings = self.compiler.compile_with_warnings(
                    input=source.encode("utf-8"), sys_inputs=None, **options
                )
        except typst.TypstError as e:
            glyphs = _NO_GLYPH.search(e.message)
            if glyphs:
                raise self._glyph_error(info, _rust_str(glyphs.group(1))) from None
            raise LetterTemplateError(
                f'Brevet "{info.name}" kunde inte sättas av Typst: {e.message} '
                f"({_where(e.diagnostic)}).",
                template=info.name,
            ) from None
        missing = {family.lower() for family in self.missing_fonts}
        warnings = [w for w in warnings if _unknown_family(w.message) not in missing]
        if warnings:  # e.g. an unknown font: the PDF would not be what the template says
            w = warnings[0]
            raise LetterTemplateError(
                f'Brevet "{info.name}" gav en varning från Typst: {w.message} '
                f"({_where(w.diagnostic)}).",
                template=info.name,
            )
        assert output is not None
        return output

    def _glyph_error(self, info: TemplateInfo, text: str) -> LetterTemplateError:
        """No font has a character of `text`: name the packages to install, or the character."""
        shown = text.strip() or text
        if self.missing_fonts:
            packages = sorted(set(self.missing_fonts.values()))
            noun = "paketet" if len(packages) == 1 else "paketen"
            names = (
                ", ".join(packages[:-1]) + " och " + packages[-1] if packages[1:] else packages[0]
            )
            return LetterTemplateError(
                f'Brevet "{info.name}" kan inte skapas eftersom typsnittet för texten "{shown}" '
                f"saknas på den här datorn: installera Debian-{noun} {names} "
                "(det gör scripts/setup).",
                template=info.name,
            )
        codes = ", ".join(f"U+{ord(c):04X}" for c in shown)
        return LetterTemplateError(
            f'Brevet "{info.name}" kan inte skapas eftersom tecknet "{shown}" ({codes}) inte finns '
            "i något av brevens typsnitt; skriv uppgiften utan det tecknet.",
            template=info.name,
        )

    def version(self, info: TemplateInfo) -> str:
        files = [self.directory / (info.name + SUFFIX), *sorted(self.directory.glob("_*"))]
        stamps = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        return _version(stamps, info.title)


@lru_cache(maxsize=8)
def _renderer(directory: Path) -> _Renderer:
    return _Renderer(directory)


@lru_cache(maxsize=8)
def _fonts(font_paths: tuple[str, ...]) -> typst.Fonts:
    """The fonts in `font_paths`, scanned once per process and shared by every letters directory."""
    return typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=list(font_paths)
    )


@lru_cache(maxsize=256)
def _version(stamps: tuple[tuple[str, int, int], ...], title: str) -> str:
    digest = hashlib.sha256()
    for name, _mtime, _size in stamps:
        digest.update(Path(name).name.encode() + b"\0" + Path(name).read_bytes() + b"\0")
    digest.update(title.encode())
    return digest.hexdigest()[:12]


def _timestamp(info: TemplateInfo, context: Mapping[str, Any]) -> dt.datetime:
    """Midnight UTC of the letter's date: the PDF's creation date, so output is reproducible."""
    letter = context.get("letter")
    day = letter.get("date") if isinstance(letter, Mapping) else None
    if isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        raise LetterTemplateError(
            f'Brevet "{info.name}" kan inte skapas eftersom uppgiften "letter.date" saknas '
            "i underlaget.",
            template=info.name,
            field="letter.date",
        )
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _unknown_family(message: str) -> str | None:
    """The family of Typst's "unknown font family" warning (lower case), else None."""
    match = _UNKNOWN_FAMILY.fullmatch(message.strip())
    return match.group(1) if match else None


def _rust_str(debug: str) -> str:
    """The text of a Rust `{:?}` string body as Typst prints it (`\\u{e000}` → U+E000)."""
    simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}

    def unescape(m: re.Match[str]) -> str:
        return chr(int(m.group(1), 16)) if m.group(1) else simple.get(m.group(2), m.group(2))

    return _RUST_ESCAPE.sub(unescape, debug)


def _where(diagnostic: str) -> str:
    """Where a Typst diagnostic points: a line of the generated source (with its text) or a file."""
    lines = [line.strip() for line in diagnostic.splitlines()]
    place = next((ln.removeprefix("┌─").strip() for ln in lines if ln.startswith("┌─")), "")
    code = next((ln.split("│", 1)[1].strip() for ln in lines if ln[:1].isdigit() and "│" in ln), "")
    generated = re.search(r"__typst_py_bytes__\.typ:(\d+):\d+", place)
    if generated:
        place = f"rad {generated.group(1)} i den genererade Typst-källan"
    else:
        place = place or "okänd plats"
    return f"{place}: {code}" if code else place
