"""Account care: the services behind a player's account screens (verification, reset,
two-factor, profile, sessions), built once at start-up (server/app.py) and held together
here so the routes (`routes.py`) reach them as one."""

from __future__ import annotations

from dataclasses import dataclass

from server.accounts.my_sessions import MySessions
from server.accounts.notices import Notices
from server.accounts.profile import Profile
from server.accounts.recovery import Recovery
from server.accounts.two_factor import TwoFactor
from server.mail.smtp import Mailer


@dataclass(frozen=True, slots=True)
class Care:
    mailer: Mailer
    notices: Notices
    recovery: Recovery
    two_factor: TwoFactor
    profile: Profile
    sessions: MySessions
