"""Two-factor secrets encrypted at rest with AES-GCM, so a copy of the database (a backup,
a dump for support) does not hand out anyone's second factor.

The key is CASINO_TOTP_KEY (base64 of 32 bytes); without one, a key is generated once
from `rng` into DATA_DIR/totp.key (mode 0600), which suits the embedded and sandbox
modes where the database sits beside it. Each secret is bound to its player (the
associated data), so a ciphertext copied to another row does not decrypt. The key and
the secrets are never logged.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import rng

KEY_BYTES = 32
NONCE_BYTES = 12
PREFIX = "v1:"


class BadKey(ValueError):
    pass


def load_key(configured: str, data_dir: Path) -> bytes:
    if configured:
        try:
            key = base64.b64decode(configured, validate=True)
        except (binascii.Error, ValueError):
            raise BadKey("CASINO_TOTP_KEY must be base64 of 32 bytes") from None
        if len(key) != KEY_BYTES:
            raise BadKey("CASINO_TOTP_KEY must be base64 of 32 bytes")
        return key
    path = data_dir / "totp.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(rng.randbytes(KEY_BYTES))
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise BadKey(f"{path} must hold exactly {KEY_BYTES} bytes")
    return key


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    def seal(self, secret: bytes, player_id: int) -> str:
        nonce = rng.randbytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret, f"totp:{player_id}".encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, stored: str, player_id: int) -> bytes:
        raw = base64.b64decode(stored.removeprefix(PREFIX))
        return self._aead.decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], f"totp:{player_id}".encode()
        )
