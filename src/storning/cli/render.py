"""Readable Swedish text for the terminal, from the same documents `--json` prints."""

from __future__ import annotations

from typing import Any

from storning.vocabulary import CASE_TYPES, LETTER_STATUS, TIMER_STATUS


def local_minute(value: str | None) -> str:
    """An ISO time as the terminal shows it: "2026-03-02 09:00" (– for none)."""
    return value[:16].replace("T", " ") if value else "–"


def _records_lines(records: dict[str, Any]) -> list[str]:
    """Gallring: erased, held by hand (who, why), or held by a dispute on the legal track."""
    lines = []
    if records.get("erased_at"):
        lines.append(
            f"Personuppgifterna gallrade {records['erased_at']}"
            + (f" ({records['erasure_decision']})" if records.get("erasure_decision") else "")
        )
    hold = records.get("hold")
    if hold:
        lines.append(
            f"Gallringsspärr: {hold['reason']} (lagd av {hold['placed_by']} {local_minute(hold['placed_at'])})"
        )
    if records.get("dispute_hold"):
        lines.append("Gallras inte medan tvisten pågår (det rättsliga spåret)")
    return lines


def case_text(doc: dict[str, Any]) -> str:
    tenant = doc["tenant"]
    status = "öppet" if doc["status"] == "open" else "avslutat"
    lines = [
        f"Ärende {doc['ref']} ({CASE_TYPES.get(doc['type'], doc['type'])}) – {status}, handläggare {doc['owner']}",
        f"Hyresgäst: {tenant['name']}, {tenant['address']}, lgh {tenant['apartment']}"
        + (f", kontrakt {tenant['contract']}" if tenant.get("contract") else ""),
    ]
    if tenant.get("co_tenants"):
        lines.append(f"Medhyresgäster: {', '.join(tenant['co_tenants'])}")
    for c in doc.get("complainants", []):
        contact = [x for x in (c.get("phone"), c.get("email")) if x]
        lines.append(
            f"Anmälare {c['id']}: {c['name']}"
            + (" (skyddad identitet)" if c.get("protected") else "")
            + (f", {', '.join(contact)}" if contact else "")
        )
    lines += _records_lines(doc.get("records") or {})
    lines += ["", "Spår"]
    for track in doc["tracks"].values():
        lines.append(
            f"  {track['title']:<24} {track['label']:<40} sedan {local_minute(track['since'])}"
        )
    gaps = doc.get("letter_gaps") or []
    if gaps:
        lines += ["", "Saknas för breven"]
        for gap in gaps:
            lines.append(
                f"  {gap['label']}: behövs i {', '.join(gap['letters'])}. Komplettera: {gap['fix']}"
            )
    lines += ["", "Möjliga åtgärder"]
    for action in doc["actions"]:
        mark = "  " if action["allowed"] else "✗ "
        lines.append(f"  {mark}{action['track']:<10} {action['event']:<24} {action['label']}")
        for reason in action["blocked_by"]:
            law = f" ({reason['law']})" if reason["law"] else ""
            override = " [kan åsidosättas med --override]" if reason["overridable"] else ""
            lines.append(f"        spärr {reason['guard']}: {reason['message']}{law}{override}")
    if not doc["actions"]:
        lines.append("  (inga – ärendet är avslutat)")
    if doc["incidents"]:
        lines += ["", "Händelser"]
        for i in doc["incidents"]:
            lines.append(
                f"  {local_minute(i['at'])}  {i['kind_label']:<14} {i['verified_label']:<14} {i['text']}"
            )
    pending = [t for t in doc["timers"] if t["status"] == "pending"]
    if pending:
        lines += ["", "Frister och påminnelser"]
        for t in pending:
            lines.append(
                f"  {t['due_on']}  {t['label']}  [{t['kind']}, {TIMER_STATUS[t['status']].lower()}]"
            )
    if doc["letters"]:
        lines += ["", "Brev"]
        lines += ["  " + line for line in letter_rows(doc["letters"]).splitlines()]
    if doc["facts"]:
        lines += ["", "Fakta"]
        lines += [f"  {k}: {v}" for k, v in doc["facts"].items()]
    lines += ["", "Journal"]
    for e in doc["journal"]:
        move = f"{e['from']} → {e['to']}" if e["track"] else ""
        extra = f" – {e['reason']}" if e.get("reason") else ""
        extra += f" – åsidosatt: {e['override']}" if e.get("override") else ""
        lines.append(
            f"  {local_minute(e['at'])}  {e['actor']:<10} {e['track'] or 'ärende':<10} {e['event']:<24} {move}{extra}"
        )
    return "\n".join(lines)


def case_rows(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "Inga ärenden."
    lines = [
        f"{'Ärende':<14} {'Typ':<11} {'Hyresgäst':<24} {'Juridiskt läge':<36} {'Nästa frist':<12}"
    ]
    for row in rows:
        legal = row["tracks"].get("legal", {}).get("label", "")
        due = (row["next_due"] or "–") + (" !" if row["overdue"] else "")
        lines.append(
            f"{row['ref']:<14} {CASE_TYPES.get(row['type'], row['type']):<11} "
            f"{row['tenant'][:24]:<24} {legal[:36]:<36} {due:<12}"
        )
    return "\n".join(lines)


def letter_rows(letters: list[dict[str, Any]]) -> str:
    if not letters:
        return "Inga brev."
    lines = []
    for letter in letters:
        sent = (
            f" skickat {letter['sent_at'][:10]} ({letter['sent_method']})"
            if letter["sent_at"]
            else ""
        )
        served = f" delgivet {letter['served_at'][:10]}" if letter["served_at"] else ""
        to = f" till {letter['to']}" if letter.get("to") else ""
        lines.append(
            f"{letter['id']:>4}  {letter['template']:<28} {LETTER_STATUS[letter['status']]:<10}{sent}{served}{to}"
        )
    return "\n".join(lines)
