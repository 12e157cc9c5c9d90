import pytest
from rest_framework.test import APIClient

from leadflow.models import Source
from leadflow.services import api_token_issue


@pytest.fixture
def russian_api(db):
    """An intake API client with a token of the website source, asking for Russian answers."""
    token = api_token_issue(source=Source.objects.get(code="website"))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="ru")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
