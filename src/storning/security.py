"""Secrets and who is on the other end: passwords (argon2), API tokens and session tokens (random,
stored only as sha256), the key of a typed user name for throttling, and the client's address behind
trusted reverse proxies.

API tokens and session tokens are 256-bit random values: sha256 is enough to store them (nobody can
guess a preimage), and a copy of the database opens no session and holds no usable token.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

TOKEN_PREFIX = "stn_"
MAX_ADDRESS = 64  # the longest stored client address


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A new API token (shown once)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_token() -> str:
    """A new web session's opaque id: the only thing the session cookie carries."""
    return secrets.token_urlsafe(32)


def new_secret() -> str:
    """A key for signing (at least 32 characters)."""
    return secrets.token_urlsafe(48)


def token_hash(token: str) -> str:
    """How a token (API or session) is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def account_key(username: str) -> str:
    """The key under which failed logins for a typed user name are counted: case and surrounding
    space do not make a new name, and the name itself (sometimes a password typed into the wrong
    field) is not stored."""
    normal = username.strip().lower()[:200]
    return hashlib.sha256(b"account:" + normal.encode("utf-8", "replace")).hexdigest()


Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    """The address of the client. `X-Forwarded-For` is believed only when the direct peer is one of
    the `trusted` proxies; then the hops are read from the right (the nearest) and the first hop that
    is not a trusted proxy is the client. A hop that is not an IP address ends the walk: what lies
    to its left was written by the client and may be anything."""
    networks = tuple(trusted)
    current = (peer or "").strip() or "okänd"
    if not networks or not forwarded_for or not _trusted(_address(current), networks):
        return current[:MAX_ADDRESS]
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        parsed = _address(hop)
        if parsed is None:
            break
        current = str(parsed)
        if not _trusted(parsed, networks):
            break
    return current[:MAX_ADDRESS]


def _address(text: str) -> Address | None:
    try:
        return ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)
