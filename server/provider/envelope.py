"""The signed envelope of every provider API call: verify the request, sign the reply.

A request is judged on its headers and raw bytes alone, before the body is
parsed or anything is looked up beyond the provider itself: unknown provider,
bad or missing signature, or a timestamp outside the provider's replay window
all give INVALID_SIGNATURE. A reply is signed the way the provider signs: with
the shared secret (HMAC), or with our private key (RSA; the provider verifies
with our public key from `GET /provider/public-key`), over its bytes prefixed
with the reply domain (`signatures.REPLY_DOMAIN`), so no reply verifies as a request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from server.provider.registry import Provider
from server.provider.signatures import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Scheme,
    hmac_sign,
    hmac_verify,
    load_private_key,
    rsa_sign,
    rsa_verify,
    timestamp_is_fresh,
)


def authentic(provider: Provider, headers: Mapping[str, str], body: bytes, now_s: int) -> bool:
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not signature or not timestamp_is_fresh(timestamp, now_s, provider.replay_window_s):
        return False
    if provider.scheme is Scheme.HMAC_SHA256:
        return provider.hmac_secret is not None and hmac_verify(
            provider.hmac_secret, timestamp, body, signature
        )
    return provider.public_key_pem is not None and rsa_verify(
        provider.public_key_pem, timestamp, body, signature
    )


async def signed_headers(
    provider: Provider,
    operator_private_pem: Callable[[], Awaitable[str]],
    body: bytes,
    now_s: int,
) -> dict[str, str]:
    timestamp = str(now_s)
    if provider.scheme is Scheme.HMAC_SHA256:
        assert provider.hmac_secret is not None
        signature = hmac_sign(provider.hmac_secret, timestamp, body, reply=True)
    else:
        key = load_private_key(await operator_private_pem())
        signature = rsa_sign(key, timestamp, body, reply=True)
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature}
