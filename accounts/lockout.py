"""Who is locked out after wrong passwords (django-axes), by what address, and for how long.

- The client's address is REMOTE_ADDR, unless REMOTE_ADDR is one of IPCITY_TRUSTED_PROXIES (the reverse
  proxy): then it is the last address in X-Forwarded-For that is not itself a trusted proxy — the one the
  proxy saw. Whatever a client writes into X-Forwarded-For itself sits to the left of that and is ignored,
  and a request not from a trusted proxy has its header ignored entirely.
- Five wrong passwords lock that username from that address only (AXES_FAILURE_LIMIT), so an attacker
  elsewhere cannot lock the real user out; IPCITY_LOCKOUT_ADDRESS_LIMIT wrong passwords from one address,
  whatever the usernames, lock the address. django-axes has one failure limit for all its lockout parameter
  sets, so `LockoutHandler` counts the two sets separately and reports the address as at the limit once it
  passes its own, higher one.
- The cool-off counts from the failure that locked: attempts during the lock are not recorded
  (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False), so they cannot move it forward.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as described above (AXES_CLIENT_IP_CALLABLE)."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    trusted = set(settings.IPCITY_TRUSTED_PROXIES)
    if remote is None or remote not in trusted:
        return remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            return remote  # a malformed chain: the proxy's own address, never a guess
        if address not in trusted:
            return address
    return remote


def cool_off() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)


class LockoutHandler(AxesDatabaseHandler):
    """The database handler with a per-address limit of its own (see the module's docstring). The lockout
    parameters are [(username, address), (address)], in that order."""

    def get_failures(self, request, credentials=None) -> int:
        pair, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.IPCITY_LOCKOUT_ADDRESS_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A successful login clears that username's failures from that address, never the address's count
        # of other usernames (else logging in to one's own account would reset the per-address limit).
        pair = self.filter_user_attempts(request, credentials)[0]
        return pair.delete()[0]


@dataclass
class Lock:
    username: str  # "" for an address locked whatever the username
    ip_address: str
    failures: int
    until: datetime.datetime


def current_locks(now: datetime.datetime | None = None) -> list[Lock]:
    """Every lock in force: (username, address) pairs at the failure limit, and addresses at theirs; the
    latest first."""
    now = now or timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off())
    locks = [
        Lock(row["username"] or "", row["ip_address"], row["failures"], row["last"] + cool_off())
        for row in recent.values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    ]
    locks += [
        Lock("", row["ip_address"], row["failures"], row["last"] + cool_off())
        for row in recent.values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.IPCITY_LOCKOUT_ADDRESS_LIMIT)
    ]
    return sorted(locks, key=lambda lock: lock.until, reverse=True)


def is_locked(username: str, ip_address: str) -> Lock | None:
    """The lock in force on exactly this pair (username "" for the address's own lock), or None."""
    return next(
        (lock for lock in current_locks() if (lock.username, lock.ip_address) == (username, ip_address)),
        None,
    )
