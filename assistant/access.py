"""Who may do what in the app: login accounts, the administrator role, and what each role may change.

With login off the app serves one person on this machine (it listens on 127.0.0.1 by default) and every action is
open. With login on, only administrators (ASSISTANT_ADMIN_USERS, by default ASSISTANT_AUTH_USER) add, remove or
re-index documents and download the audit log; ASSISTANT_OPEN_UPLOADS=true lets every user upload.
"""
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from assistant.settings import Settings

DENIED_UPLOAD = "只有管理员可以上传文件；请联系管理员导入（管理员由 ASSISTANT_ADMIN_USERS 设置）。"
DENIED_MANAGE = "只有管理员可以删除文件或重新索引。"
DENIED_AUDIT = "只有管理员可以下载审计日志。"


def accounts(s: "Settings") -> dict[str, str]:
    """user → password of every login account (empty: login off)."""
    out: dict[str, str] = {}
    if s.auth_user and s.auth_password:
        out[s.auth_user] = s.auth_password.get_secret_value()
    if s.auth_users:
        for item in s.auth_users.get_secret_value().split(","):
            user, sep, password = item.strip().partition(":")
            if sep and user.strip() and password:
                out[user.strip()] = password
    return out


def login_on(s: "Settings") -> bool:
    return bool(accounts(s))


def admins(s: "Settings") -> frozenset[str]:
    named = {u.strip() for u in s.admin_users.split(",") if u.strip()}
    return frozenset(named or ({s.auth_user} if s.auth_user else set()))


def checker(s: "Settings") -> Callable[[str, str], bool] | None:
    """gradio's auth callable, or None when login is off. Passwords compare in constant time."""
    known = accounts(s)
    if not known:
        return None

    def check(user: str, password: str) -> bool:
        expected = known.get(user)
        return expected is not None and hmac.compare_digest(expected.encode(), (password or "").encode())

    return check


def is_admin(s: "Settings", user: str | None) -> bool:
    return not login_on(s) or (user is not None and user in admins(s))


def may_upload(s: "Settings", user: str | None) -> bool:
    return is_admin(s, user) or (s.open_uploads and user is not None)
