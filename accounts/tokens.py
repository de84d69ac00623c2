"""API tokens: issued with a lifetime, stored as a digest, checked by the API's authentication."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.models import ApiToken, User

PREFIX_LENGTH = 6


def digest_of(key: str) -> str:
    """SHA-256 of the key. The key is 40 random hex digits (160 bits): no salt or slow hash is needed to keep
    a stolen digest from being turned back into it."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_save(token: ApiToken) -> str:
    """Give a new, unsaved `token` (user and name set) a fresh key valid IPCITY_API_TOKEN_DAYS days, save
    its digest, and return the key — the only time it exists outside the client that receives it."""
    days = settings.IPCITY_API_TOKEN_DAYS
    if days <= 0:
        raise ValueError(f"IPCITY_API_TOKEN_DAYS must be a positive number of days, not {days}")
    key = secrets.token_hex(20)
    token.prefix, token.digest = key[:PREFIX_LENGTH], digest_of(key)
    token.expires_at = timezone.now() + datetime.timedelta(days=days)
    token.save()
    return key


def token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user` and its key (see token_save)."""
    token = ApiToken(user=user, name=name)
    return token, token_save(token)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>`, looked up by digest, refused once expired or for a user no longer
    active (401 with `WWW-Authenticate: Token`, a Chinese reason)."""

    def authenticate_credentials(self, key: str):
        token = ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("令牌无效。")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("令牌已过期，请向系统管理员申请新的令牌。")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("该用户已停用。")
        return token.user, token
