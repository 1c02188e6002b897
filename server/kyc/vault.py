"""KYC documents at rest: AES-256-GCM with one key, and the key's one source.

A stored file is `KYC1` + a 12-byte random nonce + the ciphertext with its tag;
the associated data is the file's own storage name, so a file copied over
another document's name does not decrypt. The SHA-256 kept in the database is
of the plaintext: `open_document` decrypts, then checks it, and refuses a file
that does not match (`DocumentCorrupt`). Files written before encryption
existed are marked `encrypted = 0` on their row and read as they are (their hash
is still checked).

The key is CASINO_KYC_KEY (base64url of 32 bytes). Unset, a sandbox server
generates one per data directory in DATA_DIR/kyc.key (mode 0600, created once,
atomically, so workers agree); a live server refuses to start without one
(server/mode.py). The key is never logged.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import rng
from server.config import ConfigError, Mode, Settings

MAGIC = b"KYC1"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_FILE = "kyc.key"


class DocumentCorrupt(ValueError):
    """A stored document that does not decrypt, or whose plaintext lost its hash."""


def parse_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raise ConfigError("CASINO_KYC_KEY must be base64url") from None
    if len(key) != KEY_BYTES:
        raise ConfigError(f"CASINO_KYC_KEY must encode {KEY_BYTES} bytes")
    return key


def _default_key(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        scratch = data_dir / f".{KEY_FILE}.{rng.token_urlsafe(6)}"
        descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(rng.token_urlsafe(KEY_BYTES))
            file.flush()
            os.fsync(file.fileno())
        # link() fails when another worker got there first: then its key is the key.
        with contextlib.suppress(FileExistsError):
            os.link(scratch, path)
        scratch.unlink()
    return parse_key(path.read_text())


_KEYS: dict[tuple[str, str], bytes] = {}


def key_for(settings: Settings) -> bytes:
    """The documents' key: CASINO_KYC_KEY, or in sandbox mode the data directory's own."""
    cached = _KEYS.get((settings.kyc_key, str(settings.data_dir)))
    if cached is not None:
        return cached
    if settings.kyc_key:
        key = parse_key(settings.kyc_key)
    elif settings.mode is Mode.LIVE:
        raise ConfigError("CASINO_KYC_KEY is required in live mode")
    else:
        key = _default_key(settings.data_dir)
    _KEYS[(settings.kyc_key, str(settings.data_dir))] = key
    return key


def seal(key: bytes, storage_name: str, plaintext: bytes) -> bytes:
    nonce = rng.randbytes(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, storage_name.encode())


def open_document(
    key: bytes, storage_name: str, stored: bytes, sha256: str, encrypted: bool
) -> bytes:
    """The plaintext of a stored file, checked against the hash kept for it."""
    plaintext = stored
    if encrypted:
        if not stored.startswith(MAGIC):
            raise DocumentCorrupt(f"document {storage_name} is not an encrypted document")
        nonce = stored[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
        try:
            plaintext = AESGCM(key).decrypt(
                nonce, stored[len(MAGIC) + NONCE_BYTES :], storage_name.encode()
            )
        except InvalidTag:
            raise DocumentCorrupt(f"document {storage_name} does not decrypt") from None
    if not hmac.compare_digest(hashlib.sha256(plaintext).hexdigest(), sha256):
        raise DocumentCorrupt(f"document {storage_name} does not match its hash")
    return plaintext
