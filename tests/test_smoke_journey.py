from tests.respondent import MEMBER_ANSWERS, Respondent


def test_member_completes_the_survey(client):
    person = Respondent(client)
    assert person.start("?via=newsletter").status_code == 302
    person.answer_all(MEMBER_ANSWERS)
    response = person.submit()
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/s/we-own-it/thanks")
    assert "your answers were submitted" in person.get("/s/we-own-it/thanks").get_data(as_text=True)
