"""Know-your-customer: identity, address and payment documents, and each player's status.

Owns the `kyc_documents`, `kyc_status`, `kyc_applicants` and `kyc_vendor_events`
tables and the (encrypted) document files under DATA_DIR/kyc. Other domains
ask only `await kyc.is_verified(db, player_id)`, `levels.level_of` and
`levels.required_level`; the withdrawal and deposit rules are in `kyc.rules`
and are plugged into the payments seam at wiring time.
A document is accepted only when its bytes are a PDF, JPEG or PNG, and it is
only ever served back as an attachment of `application/octet-stream`, so no
upload can run as a page of this site. Each player's documents are held to a
count and a byte quota, so no player can fill the disk. Document bytes are
never logged.
"""

from __future__ import annotations

from server.kyc.records import is_verified

__all__ = ["is_verified"]
