"""Signed-in clients for the admin console tests."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.admin.console import signed_in_client


@pytest.fixture
def admin_account(make_user) -> tuple[str, str]:
    return make_user("admin")


@pytest.fixture
def admin_client(app: Flask, admin_account: tuple[str, str]) -> FlaskClient:
    return signed_in_client(app, *admin_account)


@pytest.fixture
def researcher_client(app: Flask, make_user) -> FlaskClient:
    return signed_in_client(app, *make_user("researcher"))


@pytest.fixture
def partner_account(make_user) -> tuple[str, str]:
    """A member federation that spreads links tagged ?via=cecop."""
    return make_user("partner", channels=["cecop"])


@pytest.fixture
def partner_client(app: Flask, partner_account: tuple[str, str]) -> FlaskClient:
    return signed_in_client(app, *partner_account)
