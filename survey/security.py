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

    every = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        # Resume codes appear in URLs: never send them to another site. This site gets its own
        # pages as Referer, which the CSRF check over HTTPS needs.
        ("Referrer-Policy", "same-origin"),
        *([("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)] if secure else []),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        # The location only for this site's own pages (a place question's "Use my location").
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"),
    ]

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        # A view may have set one of them itself (its own Cache-Control, say): that one stays.
        present = {name.lower() for name in headers.keys()}
        headers.extend((name, value) for name, value in every if name.lower() not in present)
        if response.mimetype == "text/html" and "cache-control" not in present:
            headers["Cache-Control"] = "no-store"
        return response
