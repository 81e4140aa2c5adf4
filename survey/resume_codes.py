"""Resume codes: 12 Crockford base32 characters in three groups of four, e.g. K7QF-3MZP-9XWA.

Only a keyed hash of a code is stored: HMAC-SHA256, under a key of its own (SURVEY_RESUME_KEY,
or instance/resume_key), of the code's SHA-256. Without the key a copy of the database cannot
be searched for codes (60 random bits are few for an offline search of unsalted hashes); a key
apart from the secret key keeps codes working when that one is rotated. The inner SHA-256 is what
earlier versions stored, so a migration could move every stored hash to this form.
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


def format_code(code: str) -> str:
    return "-".join(code[index : index + 4] for index in range(0, LENGTH, 4))


def normalize(text: str) -> str | None:
    """The code in canonical form (hyphens, spaces and case ignored), or None if malformed."""
    compact = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(compact) != LENGTH or any(char not in ALPHABET for char in compact):
        return None
    return format_code(compact)


def legacy_hash(code: str) -> str:
    """The unkeyed hash of a (normalized) code, as earlier versions stored it."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def keyed(legacy: str, key: str) -> str:
    """The stored form of a legacy hash (what the migration applies to existing rows)."""
    return hmac.new(key.encode(), legacy.encode("ascii"), hashlib.sha256).hexdigest()


def code_hash(code: str, key: str) -> str:
    """What is stored for a (normalized) code."""
    return keyed(legacy_hash(code), key)
