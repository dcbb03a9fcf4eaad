"""Fixtures for the JSON API tests: personal access tokens and a JSON client."""
import pytest

from wiki.extensions import db
from wiki.models import User
from wiki.services import apitokens as token_service


@pytest.fixture
def make_token(app):
    """make_token(user, scope="write", days=None, name="script") -> the token's secret."""

    def make(user, scope="write", days=None, name="script") -> str:
        with app.app_context():
            return token_service.create_token(db.session.get(User, user.id), name, scope, days).secret

    return make


@pytest.fixture
def bearer():
    def headers(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    return headers
