"""A respondent driven over HTTP through the Flask test client, as a browser would."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

SLUG = "we-own-it"

# Valid answers for every section, for a member of a worker cooperative.
MEMBER_ANSWERS: dict[str, dict[str, Any]] = {
    "about_you": {
        "age": "27",
        "gender": "self_describe",
        "gender_other": "Genderfluid",
        "country": "AR",
        "education": "bachelor",
        "situation": ["worker_member", "other"],
        "situation_other": "Musician",
    },
    "involvement": {"involvement": "member"},
    "cooperative": {
        "coop_type": "worker",
        "sector": "digital",
        "founded_year": "2019",
        "members_total": "12",
        "members_young": "7",
        "role": ["founder", "worker_member"],
        "federation": "yes",
        "federation_name": "FACTA",
    },
    "starting": {
        "motivations": ["democracy", "shared_ownership", "create_job"],
        "obstacles__finance": "4",
        "obstacles__legal": "9",
        "support_received": ["federation", "other_coops"],
    },
    "participation": {
        "participation__voice_heard": "5",
        "participation__assemblies": "4",
        "participation__information": "4",
        "participation__young_leaders": "3",
        "participation__balance": "2",
        "governance_hours": "6",
    },
    "future": {
        "help_needed": ["education", "finance"],
        "recommend": "9",
        "we_own_it": "Coopérative Ñandú 合作社: we decide together.",
    },
    "contact": {"follow_up": "yes", "email": "ana@example.org"},
}

NOT_INVOLVED_ANSWERS: dict[str, dict[str, Any]] = {
    "about_you": {"age": "19", "country": "KE", "situation": ["student"]},
    "involvement": {"involvement": "none"},
    "future": {"help_needed": ["education"], "recommend": "5"},
    "contact": {"follow_up": "no"},
}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Respondent:
    """One person with their own cookie jar."""

    def __init__(self, client: FlaskClient, slug: str = SLUG):
        self.client = client
        self.slug = slug
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(path, **kwargs)
        if response.status_code == 200 and b"csrf_token" in response.data:
            self.token = csrf_token(response.get_data(as_text=True))
        return response

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
        return self.client.post(path, data={"csrf_token": self.token, **data}, **kwargs)

    def start(self, query: str = "") -> TestResponse:
        page = self.get(f"/s/{self.slug}{query}").get_data(as_text=True)
        start_token = re.search(r'name="start_token" value="([^"]+)"', page)
        assert start_token, "welcome page has no start form"
        return self.post(
            f"/s/{self.slug}/start", {"consent": "yes", "start_token": start_token.group(1)}
        )

    def save(self, section_id: str, answers: dict[str, Any]) -> TestResponse:
        self.get(f"/s/{self.slug}/p/{section_id}")
        return self.post(f"/s/{self.slug}/p/{section_id}", answers)

    def answer_all(self, answers: dict[str, dict[str, Any]]) -> None:
        for section_id, values in answers.items():
            response = self.save(section_id, values)
            assert response.status_code == 302, (section_id, response.get_data(as_text=True))

    def submit(self) -> TestResponse:
        self.get(f"/s/{self.slug}/review")
        return self.post(f"/s/{self.slug}/submit", {})

    def resume_code(self) -> str:
        page = self.get(f"/s/{self.slug}").get_data(as_text=True)
        match = re.search(r'class="code"[^>]*>([0-9A-Z-]{14})<', page)
        assert match, "no resume code shown"
        return match.group(1)
