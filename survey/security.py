"""HTTP hardening applied to every response."""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


# A year, for this host only (the operator's other subdomains are theirs to decide).
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def register_security_headers(app: Flask) -> None:
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Resume codes appear in URLs: never send them to another site. This site gets its own
        # pages as Referer, which the CSRF check over HTTPS needs.
        headers.setdefault("Referrer-Policy", "same-origin")
        if secure:
            headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # The location only for this site's own pages (a place question's "Use my location").
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        return response
