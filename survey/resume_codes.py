"""Resume codes: 12 Crockford base32 characters in three groups of four, e.g. K7QF-3MZP-9XWA.

Only a SHA-256 hash of a code is stored: 60 random bits make guessing hopeless, and a hash
that does not depend on the secret key keeps codes working if the key is rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
# Crockford's reading rules: letters people confuse with digits mean those digits.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def generate() -> str:
    """A new random code, formatted for people."""
    return format_code("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def from_seed(key: str, seed: str) -> str:
    """The code a start form's random seed stands for: the same seed always gives the same
    code (so a double click starts one response), and without the key the seed reveals nothing.
    """
    digest = hmac.new(key.encode(), f"resume-code:{seed}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> (64 - 5 * LENGTH)
    chars = [ALPHABET[(number >> (5 * index)) & 31] for index in reversed(range(LENGTH))]
    return format_code("".join(chars))


def format_code(code: str) -> str:
    return "-".join(code[index : index + 4] for index in range(0, LENGTH, 4))


def normalize(text: str) -> str | None:
    """The code in canonical form (hyphens, spaces and case ignored), or None if malformed."""
    compact = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(compact) != LENGTH or any(char not in ALPHABET for char in compact):
        return None
    return format_code(compact)


def code_hash(code: str) -> str:
    """What is stored for a (normalized) code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()
