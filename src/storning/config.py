"""Settings, read in one place from the environment, failing loudly on bad values.

Every setting is declared in `SETTINGS` with its default and help text; `docs/settings.md` is generated
from this table (`storning settings --markdown`) and a test fails when the two differ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storning.errors import InvalidInput

PACKAGE_DIR = Path(__file__).resolve().parent


def _project_or_bundled(name: str) -> Path:
    """The repository's top-level folder when running from a checkout, else the copy bundled in the wheel."""
    checkout = PACKAGE_DIR.parents[1] / name
    return checkout if checkout.is_dir() else PACKAGE_DIR / "_bundled" / name


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "STORNING_DB",
        "sqlite:///storning.db",
        "Databas-URL (SQLite-fil eller postgresql+psycopg://…).",
    ),
    Setting(
        "STORNING_NOW", "", "Fast tidpunkt för alla kommandon (ISO 8601); tom = systemklockan."
    ),
    Setting("STORNING_USER", "admin", "Användare som CLI:t agerar som."),
    Setting("STORNING_TZ", "Europe/Stockholm", "Hyresvärdens tidszon."),
    Setting("STORNING_WORKFLOWS", "", "Mapp med arbetsflöden (YAML); tom = projektets workflows/."),
    Setting("STORNING_LETTERS_DIR", "", "Mapp med brevmallar; tom = projektets letters/."),
    Setting("STORNING_LANDLORD_NAME", "Hyresvärden AB", "Hyresvärdens namn i brevhuvudet."),
    Setting("STORNING_LANDLORD_ORG", "556000-0000", "Organisationsnummer."),
    Setting("STORNING_LANDLORD_ADDRESS", "Box 1", "Postadress, rad 1."),
    Setting("STORNING_LANDLORD_POSTAL", "100 00 Staden", "Postnummer och ort."),
    Setting("STORNING_LANDLORD_PHONE", "", "Telefon i brevhuvudet."),
    Setting("STORNING_LANDLORD_EMAIL", "", "E-post i brevhuvudet."),
    Setting(
        "STORNING_SEVERE_KINDS",
        "violence,threat,arson,crime",
        "Händelsetyper som är särskilt allvarliga.",
    ),
    Setting("STORNING_SMTP_HOST", "", "SMTP-server för e-postpåminnelser; tom = ingen e-post."),
    Setting("STORNING_SMTP_PORT", "25", "SMTP-port."),
    Setting("STORNING_SMTP_TLS", "false", "STARTTLS mot SMTP-servern (true/false)."),
    Setting("STORNING_SMTP_USER", "", "SMTP-användare."),
    Setting("STORNING_SMTP_PASSWORD", "", "SMTP-lösenord (läggs aldrig i repot)."),
    Setting("STORNING_MAIL_FROM", "storning@localhost", "Avsändaradress för e-post."),
    Setting(
        "STORNING_BASE_URL",
        "http://127.0.0.1:8000",
        "Adress till webbgränssnittet, för länkar i e-post.",
    ),
    Setting(
        "STORNING_TIMER_INTERVAL", "30", "Sekunder mellan körningar av förfallna timers i workern."
    ),
    # read by storning.web.config (the web process only)
    Setting(
        "STORNING_SECRET_KEY",
        "",
        "Nyckel som signerar inloggningskakan; tom = genereras och sparas i en fil (0600).",
    ),
    Setting(
        "STORNING_SECURE_COOKIES",
        "",
        "Kakan bara över TLS (true/false); tom = true när STORNING_BASE_URL är https.",
    ),
    Setting("STORNING_SESSION_HOURS", "8", "Hur länge en inloggning gäller (timmar)."),
    Setting("STORNING_WEB_THREADS", "8", "Trådar för sidor och API-anrop i en webbprocess."),
)


def _bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "ja", "on"}:
        return True
    if lowered in {"0", "false", "no", "nej", "off", ""}:
        return False
    raise InvalidInput(f"Inställningen {name}='{text}' är inte true eller false.")


def _int(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"Inställningen {name}='{text}' är inte ett heltal.") from None


@dataclass(frozen=True)
class Landlord:
    name: str
    org_number: str
    address: str
    postal_address: str
    phone: str
    email: str


@dataclass(frozen=True)
class Settings:
    db_url: str
    now: str
    user: str
    zone: ZoneInfo
    workflows_dir: Path
    letters_dir: Path
    landlord: Landlord
    severe_kinds: frozenset[str]
    smtp_host: str
    smtp_port: int
    smtp_tls: bool
    smtp_user: str
    smtp_password: str = field(repr=False)
    mail_from: str = "storning@localhost"
    base_url: str = "http://127.0.0.1:8000"
    timer_interval: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        raw = {s.env: env.get(s.env, s.default) for s in SETTINGS}
        try:
            zone = ZoneInfo(raw["STORNING_TZ"])
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"Okänd tidszon STORNING_TZ='{raw['STORNING_TZ']}'.") from None
        return cls(
            db_url=raw["STORNING_DB"],
            now=raw["STORNING_NOW"],
            user=raw["STORNING_USER"],
            zone=zone,
            workflows_dir=Path(raw["STORNING_WORKFLOWS"] or _project_or_bundled("workflows")),
            letters_dir=Path(raw["STORNING_LETTERS_DIR"] or _project_or_bundled("letters")),
            landlord=Landlord(
                name=raw["STORNING_LANDLORD_NAME"],
                org_number=raw["STORNING_LANDLORD_ORG"],
                address=raw["STORNING_LANDLORD_ADDRESS"],
                postal_address=raw["STORNING_LANDLORD_POSTAL"],
                phone=raw["STORNING_LANDLORD_PHONE"],
                email=raw["STORNING_LANDLORD_EMAIL"],
            ),
            severe_kinds=frozenset(k.strip() for k in raw["STORNING_SEVERE_KINDS"].split(",") if k),
            smtp_host=raw["STORNING_SMTP_HOST"],
            smtp_port=_int("STORNING_SMTP_PORT", raw["STORNING_SMTP_PORT"]),
            smtp_tls=_bool("STORNING_SMTP_TLS", raw["STORNING_SMTP_TLS"]),
            smtp_user=raw["STORNING_SMTP_USER"],
            smtp_password=raw["STORNING_SMTP_PASSWORD"],
            mail_from=raw["STORNING_MAIL_FROM"],
            base_url=raw["STORNING_BASE_URL"],
            timer_interval=_int("STORNING_TIMER_INTERVAL", raw["STORNING_TIMER_INTERVAL"]),
        )


def settings_markdown() -> str:
    """The settings table as Markdown, for docs/settings.md."""
    rows = ["| variabel | standard | betydelse |", "|---|---|---|"]
    rows += [f"| `{s.env}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    return (
        "# Inställningar\n\nGenererad av `storning settings --markdown`.\n\n"
        + "\n".join(rows)
        + "\n"
    )
