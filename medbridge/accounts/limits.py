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
        if user.single_user:
            return
        limit = self.settings.model_requests_per_minute
        if self.store.take_allowance(user.name, "model", MINUTE_S, limit) >= limit:
            raise LimitExceeded(f"rate limit: at most {limit} model requests a minute; try again shortly",
                                key="rate_limited", limit=limit)

    def job(self, user: Principal) -> None:
        """A research or document job: counts against the daily quota and the per-minute rate."""
        if user.single_user:
            return
        quota = self.settings.jobs_per_day
        if self.store.take_allowance(user.name, "job", DAY_S, quota) >= quota:
            raise LimitExceeded(f"daily quota: at most {quota} research or document jobs in 24 hours",
                                key="quota_exceeded", limit=quota)
        self.model_request(user)

    def sign_in_attempt(self, name: str) -> None:
        """Password guesses against one name are held to a few a minute."""
        if self.store.take_allowance(name, "sign-in", MINUTE_S, SIGN_IN_ATTEMPTS_PER_MINUTE) >= SIGN_IN_ATTEMPTS_PER_MINUTE:
            raise LimitExceeded(f"too many sign-in attempts for {name}; wait a minute", key="sign_in_limited")
