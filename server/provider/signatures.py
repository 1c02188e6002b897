"""Signing and verifying provider API messages: HMAC-SHA256 or RSA-SHA256 over the raw body.

Pure functions, no I/O. A request's signed message is `<timestamp>.<raw body
bytes>`: the body exactly as it travelled (never a re-serialisation, which could
differ byte for byte), prefixed by the timestamp header so that the timestamp
cannot be changed without breaking the signature and a captured request cannot
be replayed outside the window. A reply's signed message starts with
`REPLY_DOMAIN` before the same: with HMAC both directions share one secret, and
without a separate domain a signed reply, sent back to us, would verify as a
request. A request's message starts with the timestamp's digits, a reply's
with a letter, so neither can ever be the other. Signatures travel
base64-encoded. HMAC compares in constant time. Nothing here ever logs or
returns key material.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PROVIDER_HEADER = "X-Provider-Id"
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"

_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
# Prefixed to every reply's signed message (and never to a request's): the domain separation.
REPLY_DOMAIN = b"casino-wallet-reply-v1."
# Prefixed to the signed message of our own calls to a provider (a campaign award): neither a
# request nor a reply of the wallet API can pass for one.
CALL_DOMAIN = b"casino-operator-call-v1."
MAX_SIGNATURE_CHARS = 1024  # a 4096-bit RSA signature is 684 base64 characters


class Scheme(StrEnum):
    HMAC_SHA256 = "hmac-sha256"
    RSA_SHA256 = "rsa-sha256"


def signed_message(timestamp: str, body: bytes, reply: bool = False, call: bool = False) -> bytes:
    """What a request (with `reply`, one of our replies; with `call`, one of our calls to a
    provider) is signed over."""
    message = timestamp.encode("ascii") + b"." + body
    if call:
        return CALL_DOMAIN + message
    return REPLY_DOMAIN + message if reply else message


def timestamp_is_fresh(timestamp: str, now_s: int, window_s: int) -> bool:
    """True for a well-formed unix-seconds timestamp within `window_s` of now, either way."""
    if not _TIMESTAMP.fullmatch(timestamp):
        return False
    return abs(int(timestamp) - now_s) <= window_s


def hmac_sign(
    secret: str, timestamp: str, body: bytes, reply: bool = False, call: bool = False
) -> str:
    message = signed_message(timestamp, body, reply, call)
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def hmac_verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """A request's signature (we never verify our own replies)."""
    expected = hmac_sign(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode("ascii", "replace"))


def rsa_sign(
    private_key: rsa.RSAPrivateKey,
    timestamp: str,
    body: bytes,
    reply: bool = False,
    call: bool = False,
) -> str:
    message = signed_message(timestamp, body, reply, call)
    raw = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def rsa_verify(public_key_pem: str, timestamp: str, body: bytes, signature: str) -> bool:
    if len(signature) > MAX_SIGNATURE_CHARS:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        load_public_key(public_key_pem).verify(
            raw, signed_message(timestamp, body), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=64)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """A provider's RSA public key (parsed once per distinct PEM)."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ValueError("a provider key must be an RSA public key of at least 2048 bits")
    return key


@functools.lru_cache(maxsize=4)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the operator signing key must be an RSA private key")
    return key


def new_rsa_key_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of a fresh 2048-bit key (the key generator of `cryptography`
    draws from the OS CSPRNG, the same source as our `rng`)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private, public_pem(key.public_key())


def public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
