from tests.respondent import SLUG


def test_guessing_resume_codes_is_throttled(client):
    answers = [client.get(f"/s/{SLUG}/resume/AAAA-BBBB-{index:04d}") for index in range(31)]
    assert {response.status_code for response in answers[:30]} == {404}
    blocked = answers[30]
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers
