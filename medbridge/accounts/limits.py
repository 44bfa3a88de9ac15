"""Per-user limits on model work, counted in the store so every web worker sees the same counts."""

from __future__ import annotations

from medbridge.accounts.principal import Principal
from medbridge.errors import LimitExceeded
from medbridge.settings import LimitSettings
from medbridge.store.base import Store

MINUTE_S = 60.0
DAY_S = 86_400.0
SIGN_IN_ATTEMPTS_PER_MINUTE = 10


class UsageLimits:
    def __init__(self, store: Store, settings: LimitSettings) -> None:
        self.store = store
        self.settings = settings

    def model_request(self, user: Principal) -> None:
        """One request that runs the model (a translation, a chat answer, a job); LimitExceeded past the
        per-minute rate."""
        if not user.single_user:
            limit = self.settings.model_requests_per_minute
            self._take(user.name, "model", MINUTE_S, limit, "rate_limited",
                       f"rate limit: at most {limit} model requests a minute; try again shortly")

    def job(self, user: Principal) -> None:
        """A research or document job: counts against the per-minute rate, then the daily quota (a job refused
        for the rate does not use up the day's)."""
        if not user.single_user:
            self.model_request(user)
            quota = self.settings.jobs_per_day
            self._take(user.name, "job", DAY_S, quota, "quota_exceeded",
                       f"daily quota: at most {quota} research or document jobs in 24 hours")

    def sign_in_attempt(self, name: str) -> None:
        """Password guesses against one name are held to a few a minute."""
        self._take(name, "sign-in", MINUTE_S, SIGN_IN_ATTEMPTS_PER_MINUTE, "sign_in_limited",
                   f"too many sign-in attempts for {name}; wait a minute")

    def _take(self, name: str, kind: str, window_s: float, limit: int, key: str, message: str) -> None:
        if self.store.take_allowance(name, kind, window_s, limit) >= limit:
            raise LimitExceeded(message, key=key, limit=limit)
