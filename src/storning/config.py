"""Settings: the one place that reads the `STORNING_*` environment variables and checks their values.

Every setting is declared in `SETTINGS` with its default and help text; `docs/settings.md` is generated
from this table (`storning settings --markdown`) and a test fails when the two differ. A bad value stops
the program with one Swedish sentence that names the variable. Other modules take their values from a
`Settings` object (the web's cookie and session settings included: `storning.web.config` only derives
web objects from it) and never read these variables themselves.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storning.clock import parse_instant
from storning.errors import InvalidInput, StorningError
from storning.validation import phone
from storning.vocabulary import INCIDENT_KINDS

PACKAGE_DIR = Path(__file__).resolve().parent


def _project_or_bundled(name: str) -> Path:
    """The repository's top-level folder when running from a checkout, else the copy bundled in the wheel."""
    checkout = PACKAGE_DIR.parents[1] / name
    return checkout if checkout.is_dir() else PACKAGE_DIR / "_bundled" / name


# To be verified: seen in other Swedish public-sector software, not confirmed from Kronofogden itself.
DEFAULT_KRONOFOGDEN_ADDRESS = "Kronofogden|Box 1050|172 21 Sundbyberg"
SHIPPED_SOCIALNAMNDER = "socialnamnder.yaml"  # in the shipped letters/ folder


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str
    attr: str  # the `Settings` attribute it sets (`landlord.name`: an attribute of `Settings.landlord`)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "STORNING_DB",
        "sqlite:///storning.db",
        "Databas-URL (SQLite-fil eller postgresql+psycopg://…).",
        "db_url",
    ),
    Setting(
        "STORNING_DB_CONNECT_TIMEOUT",
        "5",
        "Sekunder att vänta på en ny anslutning till PostgreSQL innan försöket ges upp (2–600).",
        "db_connect_timeout",
    ),
    Setting(
        "STORNING_DB_STATEMENT_TIMEOUT",
        "15",
        "Sekunder en SQL-sats i PostgreSQL får ta innan den avbryts (0 = ingen gräns, högst 86400); "
        "'storning init' har ingen gräns.",
        "db_statement_timeout",
    ),
    Setting(
        "STORNING_DB_BUSY_TIMEOUT",
        "10",
        "Sekunder att vänta på att en annan process släpper SQLite-filens skrivlås (1–600).",
        "db_busy_timeout",
    ),
    Setting(
        "STORNING_DB_POOL_TIMEOUT",
        "5",
        "Sekunder en förfrågan väntar på en ledig databasanslutning innan den får svaret "
        "503 (1–600).",
        "db_pool_timeout",
    ),
    Setting(
        "STORNING_NOW",
        "",
        "Fast tidpunkt för alla kommandon (ISO 8601); tom = systemklockan.",
        "now",
    ),
    Setting("STORNING_USER", "admin", "Användare som CLI:t agerar som.", "user"),
    Setting("STORNING_TZ", "Europe/Stockholm", "Hyresvärdens tidszon (IANA-namn).", "zone"),
    Setting(
        "STORNING_WORKFLOWS",
        "",
        "Mapp med arbetsflöden (YAML); tom = projektets workflows/.",
        "workflows_dir",
    ),
    Setting(
        "STORNING_LETTERS_DIR", "", "Mapp med brevmallar; tom = projektets letters/.", "letters_dir"
    ),
    Setting(
        "STORNING_LANDLORD_NAME",
        "Hyresvärden AB",
        "Hyresvärdens namn i brevhuvudet.",
        "landlord.name",
    ),
    Setting("STORNING_LANDLORD_ORG", "556000-0000", "Organisationsnummer.", "landlord.org_number"),
    Setting("STORNING_LANDLORD_ADDRESS", "Box 1", "Postadress, rad 1.", "landlord.address"),
    Setting(
        "STORNING_LANDLORD_POSTAL",
        "100 00 Staden",
        "Postnummer och ort.",
        "landlord.postal_address",
    ),
    Setting("STORNING_LANDLORD_PHONE", "", "Telefon i brevhuvudet.", "landlord.phone"),
    Setting("STORNING_LANDLORD_EMAIL", "", "E-post i brevhuvudet.", "landlord.email"),
    Setting(
        "STORNING_JOUR_PHONE",
        "",
        "Telefonnummer till hyresvärdens störningsjour; tom = breven ber ingen att ringa jouren.",
        "landlord.jour_phone",
    ),
    Setting(
        "STORNING_SOCIALNAMNDER",
        "",
        "Fil (YAML) med kommunernas namn och socialnämndernas adresser för brev till socialnämnden; "
        "tom = letters/socialnamnder.yaml som följer med.",
        "socialnamnder_file",
    ),
    Setting(
        "STORNING_KRONOFOGDEN_ADDRESS",
        DEFAULT_KRONOFOGDEN_ADDRESS,
        "Kronofogdens namn och postadress i adressfältet på ansökan om avhysning, rader åtskilda med |. "
        "Standardvärdet är inte bekräftat mot Kronofogdens egna uppgifter: kontrollera det på "
        "kronofogden.se innan ansökan skickas.",
        "kronofogden_address",
    ),
    Setting(
        "STORNING_CLOCK_TOLERANCE",
        "120",
        "Sekunder som en ändring får vara äldre än ärendets senaste händelse (två som sparar samtidigt); "
        "inom gränsen sparas den efter den andra, över den vägras den (0–3600).",
        "clock_tolerance",
    ),
    Setting(
        "STORNING_SEVERE_KINDS",
        "violence,threat,arson,crime",
        "Händelsetyper som är särskilt allvarliga (kommaseparerade id:n, se DESIGN.md §4).",
        "severe_kinds",
    ),
    Setting(
        "STORNING_SMTP_HOST",
        "",
        "SMTP-server för e-postpåminnelser; tom = ingen e-post.",
        "smtp_host",
    ),
    Setting("STORNING_SMTP_PORT", "25", "SMTP-port (1–65535).", "smtp_port"),
    Setting(
        "STORNING_SMTP_TLS",
        "starttls",
        "Kryptering mot SMTP-servern: starttls (certifikatet kontrolleras; en server på samma maskin, "
        "localhost, som inte erbjuder STARTTLS nås okrypterat), tls (direkt TLS, oftast port 465) "
        "eller off (aldrig kryptering, ett uttryckligt val). true = starttls, false = off.",
        "smtp_tls",
    ),
    Setting("STORNING_SMTP_USER", "", "SMTP-användare.", "smtp_user"),
    Setting("STORNING_SMTP_PASSWORD", "", "SMTP-lösenord (läggs aldrig i repot).", "smtp_password"),
    Setting("STORNING_MAIL_FROM", "storning@localhost", "Avsändaradress för e-post.", "mail_from"),
    Setting(
        "STORNING_BASE_URL",
        "http://127.0.0.1:8000",
        "Adress till webbgränssnittet (http:// eller https://), för länkar i e-post.",
        "base_url",
    ),
    Setting(
        "STORNING_TIMER_INTERVAL",
        "30",
        "Sekunder mellan körningar av förfallna timers i workern (1–86400).",
        "timer_interval",
    ),
    Setting(
        "STORNING_SECRET_KEY",
        "",
        "Nyckel (minst 32 tecken) som signerar inloggningskakan; tom = en slumpad nyckel som skapas "
        "första gången och sparas i databasen (samma för alla processer mot den databasen).",
        "secret_key",
    ),
    Setting(
        "STORNING_SECURE_COOKIES",
        "",
        "Kakan bara över TLS (true/false); tom = true när STORNING_BASE_URL är https.",
        "secure_cookies",
    ),
    Setting(
        "STORNING_SESSION_HOURS",
        "8",
        "Hur länge en inloggning gäller som längst, även när den används (timmar, högst 720).",
        "session_hours",
    ),
    Setting(
        "STORNING_SESSION_IDLE_MINUTES",
        "30",
        "Minuter utan aktivitet innan en inloggning slutar gälla (1–1440).",
        "session_idle_minutes",
    ),
    Setting(
        "STORNING_TRUSTED_PROXIES",
        "",
        "Omvända proxyservrar (IP-adresser eller nät, t.ex. 127.0.0.1,10.0.0.0/24, kommaseparerade) "
        "vars X-Forwarded-For godtas som klientens adress; tom = huvudet används aldrig.",
        "trusted_proxies",
    ),
    Setting(
        "STORNING_WEB_THREADS",
        "8",
        "Trådar för sidor och API-anrop i en webbprocess (1–200).",
        "web_threads",
    ),
    Setting(
        "STORNING_STATS_WAIT_MS",
        "200",
        "Millisekunder översikten Utfall låter användaren vänta på att måtten räknas om efter en "
        "ändring (0–600000). Tog förra beräkningen längre visas den, med sin tidpunkt, medan en ny "
        "görs i en egen bakgrundsprocess; 600000 = räkna alltid om medan användaren väntar.",
        "stats_wait_ms",
    ),
    Setting(
        "STORNING_STATS_WARM_UP",
        "true",
        "Räkna fram Utfalls vyer I år och Senaste 12 månaderna i förväg (när webbprocessen startar "
        "och efter midnatt) för alla som får se Utfall, när databasen har minst 2 000 ärenden "
        "(true/false).",
        "stats_warm_up",
    ),
    # issue 16: the complainant's diary links, evidence files, webhooks
    Setting(
        "STORNING_DATA_DIR",
        "",
        "Mapp för bevisfiler (sparas under sin sha256); tom = en mapp bredvid SQLite-filen "
        "(<fil>.files), annars ./storning-data.",
        "data_dir",
    ),
    Setting(
        "STORNING_EVIDENCE_STORAGE",
        "file",
        "Var bevisfiler sparas: file (i STORNING_DATA_DIR) eller db (i databasen).",
        "evidence_storage",
    ),
    Setting(
        "STORNING_EVIDENCE_MAX_MB",
        "25",
        "Största tillåtna bevisfil i megabyte (1–2000); större uppladdningar avvisas innan de lästs in.",
        "evidence_max_mb",
    ),
    Setting(
        "STORNING_DIARY_DAYS",
        "90",
        "Hur många dagar en anmälares personliga dagbokslänk gäller (1–730).",
        "diary_days",
    ),
    Setting(
        "STORNING_WEBHOOK_TIMEOUT",
        "5",
        "Sekunder att vänta på en webhook-mottagare innan leveransen räknas som misslyckad (1–60).",
        "webhook_timeout",
    ),
    Setting(
        "STORNING_WEBHOOK_ATTEMPTS",
        "8",
        "Försök per webhook-leverans innan den läggs bland de olevererbara (1–50).",
        "webhook_attempts",
    ),
    Setting(
        "STORNING_WEBHOOK_ALLOW_LOCAL",
        "false",
        "true tillåter webhooks till den egna maskinen (localhost, 127.0.0.1) och länklokala adresser "
        "(169.254.x.x); bara för test. Interna nät (10.x, 192.168.x) är alltid tillåtna.",
        "webhook_allow_local",
    ),
    # issue 16: the scheduled import of night-patrol reports
    Setting(
        "STORNING_JOUR_DROP_DIR",
        "",
        "Mapp där störningsjourens rapportfiler (CSV eller JSON) läggs; arbetsprocessen (och "
        "storning serve) importerar dem och flyttar dem till done/ eller, med en felfil, till "
        "failed/. Tom = av.",
        "jour_drop_dir",
    ),
    Setting(
        "STORNING_JOUR_DROP_USER",
        "admin",
        "Användaren som den schemalagda jourimporten agerar som.",
        "jour_drop_user",
    ),
)
_BY_ENV = {s.env: s for s in SETTINGS}

_TRUE = {"1", "true", "yes", "ja", "on"}
_FALSE = {"0", "false", "no", "nej", "off"}


def _bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE or not lowered:
        return False
    raise InvalidInput(f"Inställningen {name}='{text}' är inte true eller false.")


SMTP_TLS_MODES = ("starttls", "tls", "off")


def _smtp_tls(name: str, text: str) -> str:
    """`starttls`, `tls` or `off`; the old true/false still mean starttls/off."""
    lowered = text.strip().lower() or "starttls"
    if lowered in SMTP_TLS_MODES:
        return lowered
    if lowered in _TRUE:
        return "starttls"
    if lowered in _FALSE:
        return "off"
    raise InvalidInput(
        f"Inställningen {name}='{text}' är inte true eller false, och inte heller starttls, tls "
        "eller off."
    )


Network = IPv4Network | IPv6Network


def _networks(name: str, text: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses or networks (CIDR)."""
    networks: list[Network] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise InvalidInput(
                f"Inställningen {name} har '{part}', som inte är en IP-adress eller ett nät "
                "(t.ex. 127.0.0.1 eller 10.0.0.0/24)."
            ) from None
    return tuple(networks)


def _int(name: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise InvalidInput(f"Inställningen {name}='{text}' ska vara ett heltal {low}–{high}.")
    return value


def _choice(name: str, text: str, choices: tuple[str, ...]) -> str:
    value = text.strip().lower()
    if value not in choices:
        raise InvalidInput(f"Inställningen {name}='{text}' ska vara {' eller '.join(choices)}.")
    return value


def _zone(name: str, text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Inställningen {name}='{text}' är ingen känd tidszon (t.ex. Europe/Stockholm)."
        ) from None


def _kinds(name: str, text: str) -> frozenset[str]:
    kinds = frozenset(k.strip() for k in text.split(",") if k.strip())
    unknown = sorted(kinds - INCIDENT_KINDS.keys())
    if unknown:
        raise InvalidInput(
            f"Inställningen {name} har okända händelsetyper ({', '.join(unknown)}); "
            f"kända är {', '.join(INCIDENT_KINDS)}."
        )
    return kinds


def _url(name: str, text: str) -> str:
    url = text.strip().rstrip("/")
    if not url.lower().startswith(("http://", "https://")) or len(url) <= len("https://"):
        raise InvalidInput(
            f"Inställningen {name}='{text}' ska vara en adress som börjar med http:// eller https://."
        )
    return url


def _hours(name: str, text: str) -> float:
    try:
        hours = float(text.strip())
    except ValueError:
        hours = math.nan
    if not (math.isfinite(hours) and 0 < hours <= 720):
        raise InvalidInput(
            f"Inställningen {name}='{text}' ska vara ett antal timmar över 0 och högst 720."
        )
    return hours


def _now(name: str, text: str, zone: ZoneInfo) -> str:
    if text.strip():
        try:
            parse_instant(text, zone)
        except StorningError:
            raise InvalidInput(
                f"Inställningen {name}='{text}' är ingen tidpunkt (ISO 8601, t.ex. 2026-03-02T09:00)."
            ) from None
    return text.strip()


def _secret(name: str, text: str) -> str:
    key = text.strip()
    if key and len(key) < 32:
        raise InvalidInput(
            f"Inställningen {name} är för kort; använd minst 32 slumpmässiga tecken."
        )
    return key


def _phone(name: str, text: str) -> str:
    """A phone number by the same rule as an officer's (`validation.phone`)."""
    try:
        return phone(text) or ""
    except InvalidInput:
        raise InvalidInput(
            f"Inställningen {name}='{text}' är inget telefonnummer (t.ex. 011-15 00 00)."
        ) from None


def _file(name: str, text: str, default: Path) -> Path:
    if not text.strip():
        return default
    path = Path(text.strip())
    if not path.is_file():
        raise InvalidInput(f"Inställningen {name}='{text}' är ingen fil som finns.")
    return path


def _lines(name: str, text: str) -> tuple[str, ...]:
    lines = tuple(part.strip() for part in text.split("|") if part.strip())
    if len(lines) < 2:
        raise InvalidInput(
            f"Inställningen {name}='{text}' ska ha namn och postadress, rader åtskilda med |."
        )
    return lines


def _mail(name: str, text: str) -> str:
    address = text.strip()
    if "@" not in address or any(c.isspace() for c in address):
        raise InvalidInput(f"Inställningen {name}='{text}' är ingen e-postadress.")
    return address


@dataclass(frozen=True)
class Landlord:
    name: str
    org_number: str
    address: str
    postal_address: str
    phone: str
    email: str
    jour_phone: str = ""  # the störningsjour; empty: no letter asks anyone to call it


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
    smtp_tls: str  # starttls | tls | off (SMTP_TLS_MODES)
    smtp_user: str
    smtp_password: str = field(repr=False)
    mail_from: str = "storning@localhost"
    base_url: str = "http://127.0.0.1:8000"
    timer_interval: int = 30
    # the web process (storning.web.config derives its cookie and session settings from these)
    secret_key: str = field(default="", repr=False)
    secure_cookies: bool | None = None  # None: true when base_url is https
    session_hours: float = 8.0  # the absolute lifetime of a web session
    session_idle_minutes: int = 30
    trusted_proxies: tuple[Network, ...] = ()  # peers whose X-Forwarded-For is believed
    web_threads: int = 8
    stats_wait_ms: int = 200  # the dashboard may show its last computation beyond this (services)
    stats_warm_up: bool = True  # compute the dashboard's first views of a day ahead (services)
    # issue 16: evidence files, diary links, webhooks
    data_dir: Path | None = None  # None: beside the SQLite file, else ./storning-data
    evidence_storage: str = "file"  # file | db
    evidence_max_mb: int = 25
    diary_days: int = 90
    webhook_timeout: int = 5
    webhook_attempts: int = 8
    webhook_allow_local: bool = False
    # issue 16: the scheduled jour import (None: off)
    jour_drop_dir: Path | None = None
    jour_drop_user: str = "admin"
    # letters: where socialnämnden and Kronofogden are written to
    socialnamnder_file: Path = field(
        default_factory=lambda: _project_or_bundled("letters") / SHIPPED_SOCIALNAMNDER
    )
    kronofogden_address: tuple[str, ...] = tuple(DEFAULT_KRONOFOGDEN_ADDRESS.split("|"))
    # the database: how long to wait before saying it is unavailable (seconds; 0 statement = no limit)
    db_connect_timeout: int = 5
    db_statement_timeout: int = 15
    db_busy_timeout: int = 10
    db_pool_timeout: int = 5
    # how far behind the case's latest event a concurrent change may be and still be accepted (seconds)
    clock_tolerance: int = 120

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Every setting from `environ` (default: the process environment), checked; a bad value
        raises InvalidInput with one sentence naming the variable."""
        env = os.environ if environ is None else environ
        raw = {s.env: env.get(s.env, s.default) for s in SETTINGS}
        zone = _zone("STORNING_TZ", raw["STORNING_TZ"])
        secure = raw["STORNING_SECURE_COOKIES"]
        return cls(
            db_url=raw["STORNING_DB"].strip() or _BY_ENV["STORNING_DB"].default,
            now=_now("STORNING_NOW", raw["STORNING_NOW"], zone),
            user=raw["STORNING_USER"].strip() or _BY_ENV["STORNING_USER"].default,
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
                jour_phone=_phone("STORNING_JOUR_PHONE", raw["STORNING_JOUR_PHONE"]),
            ),
            severe_kinds=_kinds("STORNING_SEVERE_KINDS", raw["STORNING_SEVERE_KINDS"]),
            clock_tolerance=_int(
                "STORNING_CLOCK_TOLERANCE", raw["STORNING_CLOCK_TOLERANCE"], 0, 3600
            ),
            smtp_host=raw["STORNING_SMTP_HOST"].strip(),
            smtp_port=_int("STORNING_SMTP_PORT", raw["STORNING_SMTP_PORT"], 1, 65535),
            smtp_tls=_smtp_tls("STORNING_SMTP_TLS", raw["STORNING_SMTP_TLS"]),
            smtp_user=raw["STORNING_SMTP_USER"],
            smtp_password=raw["STORNING_SMTP_PASSWORD"],
            mail_from=_mail("STORNING_MAIL_FROM", raw["STORNING_MAIL_FROM"]),
            base_url=_url("STORNING_BASE_URL", raw["STORNING_BASE_URL"]),
            timer_interval=_int(
                "STORNING_TIMER_INTERVAL", raw["STORNING_TIMER_INTERVAL"], 1, 86400
            ),
            secret_key=_secret("STORNING_SECRET_KEY", raw["STORNING_SECRET_KEY"]),
            secure_cookies=(_bool("STORNING_SECURE_COOKIES", secure) if secure.strip() else None),
            session_hours=_hours("STORNING_SESSION_HOURS", raw["STORNING_SESSION_HOURS"]),
            session_idle_minutes=_int(
                "STORNING_SESSION_IDLE_MINUTES", raw["STORNING_SESSION_IDLE_MINUTES"], 1, 1440
            ),
            trusted_proxies=_networks("STORNING_TRUSTED_PROXIES", raw["STORNING_TRUSTED_PROXIES"]),
            web_threads=_int("STORNING_WEB_THREADS", raw["STORNING_WEB_THREADS"], 1, 200),
            stats_wait_ms=_int("STORNING_STATS_WAIT_MS", raw["STORNING_STATS_WAIT_MS"], 0, 600_000),
            stats_warm_up=_bool("STORNING_STATS_WARM_UP", raw["STORNING_STATS_WARM_UP"]),
            data_dir=Path(raw["STORNING_DATA_DIR"].strip())
            if raw["STORNING_DATA_DIR"].strip()
            else None,
            evidence_storage=_choice(
                "STORNING_EVIDENCE_STORAGE", raw["STORNING_EVIDENCE_STORAGE"], ("file", "db")
            ),
            evidence_max_mb=_int(
                "STORNING_EVIDENCE_MAX_MB", raw["STORNING_EVIDENCE_MAX_MB"], 1, 2000
            ),
            diary_days=_int("STORNING_DIARY_DAYS", raw["STORNING_DIARY_DAYS"], 1, 730),
            webhook_timeout=_int(
                "STORNING_WEBHOOK_TIMEOUT", raw["STORNING_WEBHOOK_TIMEOUT"], 1, 60
            ),
            webhook_attempts=_int(
                "STORNING_WEBHOOK_ATTEMPTS", raw["STORNING_WEBHOOK_ATTEMPTS"], 1, 50
            ),
            webhook_allow_local=_bool(
                "STORNING_WEBHOOK_ALLOW_LOCAL", raw["STORNING_WEBHOOK_ALLOW_LOCAL"]
            ),
            jour_drop_dir=(
                Path(raw["STORNING_JOUR_DROP_DIR"].strip())
                if raw["STORNING_JOUR_DROP_DIR"].strip()
                else None
            ),
            jour_drop_user=raw["STORNING_JOUR_DROP_USER"].strip() or "admin",
            socialnamnder_file=_file(
                "STORNING_SOCIALNAMNDER",
                raw["STORNING_SOCIALNAMNDER"],
                _project_or_bundled("letters") / SHIPPED_SOCIALNAMNDER,
            ),
            kronofogden_address=_lines(
                "STORNING_KRONOFOGDEN_ADDRESS", raw["STORNING_KRONOFOGDEN_ADDRESS"]
            ),
            db_connect_timeout=_int(
                "STORNING_DB_CONNECT_TIMEOUT", raw["STORNING_DB_CONNECT_TIMEOUT"], 2, 600
            ),
            db_statement_timeout=_int(
                "STORNING_DB_STATEMENT_TIMEOUT", raw["STORNING_DB_STATEMENT_TIMEOUT"], 0, 86400
            ),
            db_busy_timeout=_int(
                "STORNING_DB_BUSY_TIMEOUT", raw["STORNING_DB_BUSY_TIMEOUT"], 1, 600
            ),
            db_pool_timeout=_int(
                "STORNING_DB_POOL_TIMEOUT", raw["STORNING_DB_POOL_TIMEOUT"], 1, 600
            ),
        )

    def with_env(self, environ: Mapping[str, str]) -> Settings:
        """These settings with the `STORNING_*` variables present in `environ` read over them, each
        checked as by `from_env`; other keys are ignored."""
        given = {name: value for name, value in environ.items() if name in _BY_ENV}
        if not given:
            return self
        parsed = Settings.from_env(given)
        changes: dict[str, Any] = {}
        landlord: dict[str, Any] = {}
        for name in given:
            attr = _BY_ENV[name].attr
            if attr.startswith("landlord."):
                key = attr.removeprefix("landlord.")
                landlord[key] = getattr(parsed.landlord, key)
            else:
                changes[attr] = getattr(parsed, attr)
        if landlord:
            changes["landlord"] = replace(self.landlord, **landlord)
        return replace(self, **changes)


def settings_markdown() -> str:
    """The settings table as Markdown, for docs/settings.md."""
    rows = ["| variabel | standard | betydelse |", "|---|---|---|"]
    rows += [f"| `{s.env}` | `{_cell(s.default)}` | {_cell(s.help)} |" for s in SETTINGS]
    return (
        "# Inställningar\n\nGenererad av `storning settings --markdown`. Ett felaktigt värde stoppar "
        "programmet med en mening som namnger variabeln.\n\n" + "\n".join(rows) + "\n"
    )


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a | would end the cell."""
    return text.replace("|", "\\|")
