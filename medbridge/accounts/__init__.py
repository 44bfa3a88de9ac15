"""Who is using medbridge: users with hashed passwords, API tokens, the signed-in ``Principal`` that owns jobs
and conversations, per-user limits on model work, and the audit log of admin actions.

``auth.mode`` picks how the web app knows its user: ``none`` (one person on this machine, the default),
``local`` (these users and passwords) or ``proxy`` (a trusted reverse proxy's header). API tokens work in
``local`` and ``proxy`` modes. The CLI is the administrator's tool: it acts on the store directly.
"""

from medbridge.accounts.limits import UsageLimits
from medbridge.accounts.principal import SINGLE_USER, Principal, check_exposure
from medbridge.accounts.users import Accounts

__all__ = ["Accounts", "Principal", "SINGLE_USER", "UsageLimits", "check_exposure"]
