"""The console's tables: one wider than the screen scrolls sideways in its own box, which the
keyboard must reach too (a named region in the tab order, as axe's scrollable-region-focusable
asks)."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.admin.console import SURVEY

PAGES = ("/admin/", SURVEY, f"{SURVEY}/exports", "/admin/users", "/admin/audit")


class _Boxes(HTMLParser):
    """Each table box's attributes, and the text of each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes: list[dict[str, str | None]] = []
        self.texts: dict[str, str] = {}
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "div" and "table-wrap" in (found.get("class") or "").split():
            self.boxes.append(found)
        if found.get("id"):
            self.open.append(str(found["id"]))
            self.texts[str(found["id"])] = ""

    def handle_data(self, data: str) -> None:
        for name in self.open:
            self.texts[name] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "caption") and self.open:
            self.open.pop()


def test_every_table_box_is_a_named_region_the_keyboard_reaches(app, admin_client):
    seen = 0
    for path in PAGES:
        answer = admin_client.get(path, follow_redirects=True)
        assert answer.status_code == 200, path
        parsed = _Boxes()
        parsed.feed(answer.get_data(as_text=True))
        for box in parsed.boxes:
            assert (box.get("role"), box.get("tabindex")) == ("region", "0"), (path, box)
            name = parsed.texts.get(str(box.get("aria-labelledby")), "").strip()
            assert name, (path, box)
            seen += 1
    assert seen >= 5, seen  # a page without a table would pass on nothing
