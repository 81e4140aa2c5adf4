"""A person's browser as a plain HTTP client: it keeps its cookies, reads each form's CSRF
token, sends the Referer a browser sends, follows redirects, and, when a request fails because
a server went away (the connection dropped or refused, the balancer's 502/503/504), sends it
again a bounded number of times, as a person pressing the button again would.

Its requests go through the balancer (HTTPS), or to one app server directly, with the headers
the balancer would add (X-Forwarded-For/-Proto, the public Host), so that a test can choose
which server answers.
"""

from __future__ import annotations

import http.client
import ssl
import time
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.respondent import FORM_TOKEN

# The balancer's answers when no server could: the person tries again.
SERVER_WENT_AWAY = frozenset({502, 503, 504})
ATTEMPTS = 8
PAUSE_SECONDS = 0.3
REQUEST_SECONDS = 20


@dataclass(frozen=True)
class Route:
    """Where requests go: `tls` to the balancer, or plain HTTP to one server, with the
    client address the balancer would have passed on."""

    host: str
    port: int
    tls: bool
    forwarded_for: str | None = None

    @classmethod
    def to(cls, url: str, forwarded_for: str | None = None) -> Route:
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        return cls(parts.hostname or "", parts.port or (443 if tls else 80), tls, forwarded_for)


@dataclass(frozen=True)
class Page:
    status: int
    path: str
    text: str
    headers: Message

    @property
    def location(self) -> str:
        """Where a redirect points, as a path of the site."""
        return urlsplit(self.headers.get("Location", "")).path


@dataclass
class Attempt:
    """A request that failed and was sent again."""

    method: str
    path: str
    status: int | None
    error: str = ""
    page: Page | None = None


@dataclass
class Browser:
    """What survives from one request to the next: cookies, the last form's token and the
    last page's address, and the failed attempts so far."""

    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    referer: str = ""
    failed: list[Attempt] = field(default_factory=list)


class Visitor:
    """One person's browser, sending through `route`; `retry_on` are the statuses that make
    the person try again."""

    def __init__(
        self,
        public_url: str,
        route: Route,
        browser: Browser | None = None,
        retry_on: frozenset[int] = SERVER_WENT_AWAY,
    ):
        self._connection: http.client.HTTPConnection | None = None
        self.public_url = public_url.rstrip("/")
        self.route = route
        self.browser = browser or Browser()
        self.retry_on = retry_on

    def via(self, route: Route) -> Visitor:
        """The same browser (cookies, token), its requests now going through `route`."""
        return Visitor(self.public_url, route, self.browser, self.retry_on)

    @property
    def failed(self) -> list[Attempt]:
        return self.browser.failed

    def get(self, path: str) -> Page:
        return self.send("GET", path)

    def post(self, path: str, fields: dict[str, Any]) -> Page:
        return self.send("POST", path, {"csrf_token": self.browser.token, **fields})

    def submit(self, path: str, fields: dict[str, Any]) -> Page:
        """POST a form and, on a redirect, GET where it points: the page a person sees next."""
        page = self.post(path, fields)
        if page.status in (301, 302, 303):
            return self.get(page.location)
        return page

    def send(self, method: str, path: str, fields: dict[str, Any] | None = None) -> Page:
        """The request, sent again while it fails because a server went away."""
        body = urlencode(fields or {}, doseq=True) if method == "POST" else None
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(PAUSE_SECONDS * attempt)
            try:
                page = self._once(method, path, body)
            except (OSError, http.client.HTTPException) as error:
                self.failed.append(Attempt(method, path, None, f"{type(error).__name__}"))
                continue
            if page.status not in self.retry_on:
                return self._remember(page)
            self.failed.append(Attempt(method, path, page.status, page=page))
        raise AssertionError(f"{method} {path} failed {ATTEMPTS} times: {self.failed[-3:]}")

    def _remember(self, page: Page) -> Page:
        if page.status == 200 and (token := FORM_TOKEN.search(page.text)):
            self.browser.token = token.group(1)
            self.browser.referer = f"{self.public_url}{page.path}"
        return page

    def _once(self, method: str, path: str, body: str | None) -> Page:
        """One request; a kept-alive connection the other side closed in the meantime is
        opened again at once (browsers do the same: nothing was received)."""
        reused = self._connection is not None
        try:
            return self._exchange(method, path, body)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.close()
            if not reused:
                raise
            return self._exchange(method, path, body)
        except BaseException:
            self.close()
            raise

    def _exchange(self, method: str, path: str, body: str | None) -> Page:
        connection = self._connection or self._connect()
        self._connection = connection
        connection.request(method, path, body=body, headers=self._headers(body))
        answer = connection.getresponse()
        text = answer.read().decode("utf-8", errors="replace")
        self._keep_cookies(answer.headers.get_all("Set-Cookie") or [])
        if answer.will_close:
            self.close()
        return Page(answer.status, path, text, answer.headers)

    def _connect(self) -> http.client.HTTPConnection:
        route = self.route
        if route.tls:
            # The balancer's certificate is self-signed in tests: not checked, on purpose.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(
                route.host, route.port, timeout=REQUEST_SECONDS, context=context
            )
        return http.client.HTTPConnection(route.host, route.port, timeout=REQUEST_SECONDS)

    def _headers(self, body: str | None) -> dict[str, str]:
        headers = {"Host": urlsplit(self.public_url).netloc, "User-Agent": "survey-fault-tests"}
        if self.browser.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.browser.cookies.items())
        if self.browser.referer:
            headers["Referer"] = self.browser.referer
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if not self.route.tls:  # as the balancer passes a request on
            headers["X-Forwarded-Proto"] = "https"
            headers["X-Forwarded-For"] = self.route.forwarded_for or "127.0.0.1"
        return headers

    def _keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.browser.cookies.pop(name, None)
                else:
                    self.browser.cookies[name] = morsel.value

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __del__(self) -> None:
        # A visitor a test drops closes its kept-alive connection (no ResourceWarning).
        self.close()
