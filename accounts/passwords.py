"""The password policy's own rules: a password mixes kinds of characters (Django's validators count only
length, common words and all-digit passwords); and the length rule's message in Chinese (Django 5.2 changed
that message's text and its Simplified Chinese catalogue still has the old one, so it showed in English)."""

from __future__ import annotations

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError

KINDS = ("小写字母", "大写字母", "数字", "其他字符（符号、汉字等）")


def kinds_in(password: str) -> set[str]:
    """Which of KINDS the password uses."""
    found = set()
    for char in password:
        if char.isascii() and char.islower():
            found.add(KINDS[0])
        elif char.isascii() and char.isupper():
            found.add(KINDS[1])
        elif char.isdigit():
            found.add(KINDS[2])
        else:
            found.add(KINDS[3])
    return found


class CharacterClassValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, anything else."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if len(kinds_in(password)) < self.min_classes:
            raise ValidationError(
                f"密码至少包含以下{len(KINDS)}类字符中的{self.min_classes}类：{'、'.join(KINDS)}。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"密码至少包含以下{len(KINDS)}类字符中的{self.min_classes}类：{'、'.join(KINDS)}。"


class MinimumLength(MinimumLengthValidator):
    """Django's length rule, told in Chinese."""

    def get_error_message(self) -> str:
        return f"密码太短：至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"
