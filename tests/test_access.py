"""Who may change the library: with login on, administrators only (a setting opens uploads to every user)."""
from __future__ import annotations

from assistant import access
from assistant.settings import load_settings


def test_login_off_everything_is_open_on_this_machine():
    s = load_settings()
    assert not access.login_on(s) and access.checker(s) is None
    assert access.is_admin(s, None) and access.may_upload(s, None)


def test_the_login_user_is_the_administrator_by_default():
    s = load_settings(auth_user="admin", auth_password="pw", auth_users="viewer:pw2, clerk:pw3")
    check = access.checker(s)
    assert check("admin", "pw") and check("viewer", "pw2") and check("clerk", "pw3")
    assert not check("viewer", "pw") and not check("nobody", "") and not check("admin", "")
    assert access.is_admin(s, "admin") and not access.is_admin(s, "viewer") and not access.is_admin(s, None)
    assert not access.may_upload(s, "viewer")


def test_admins_are_named_and_uploads_can_be_opened_to_all():
    s = load_settings(auth_user="admin", auth_password="pw", auth_users="viewer:pw2", admin_users="viewer")
    assert access.is_admin(s, "viewer") and not access.is_admin(s, "admin")
    opened = load_settings(auth_user="admin", auth_password="pw", auth_users="viewer:pw2", open_uploads=True)
    assert access.may_upload(opened, "viewer") and not access.is_admin(opened, "viewer")
    assert not access.may_upload(opened, None)
