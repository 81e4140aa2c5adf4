"""Flask extensions, created once and bound to the app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
# Counts live in the limiter's storage (memory or Redis), never with responses. No X-RateLimit-*
# or Retry-After on the answers it lets through: they would tell a script how many guesses it
# has left and ask browsers to wait when they need not. A refusal (429) says when to come back
# (survey.error_pages.too_many_requests).
limiter = Limiter(key_func=get_remote_address, swallow_errors=True, headers_enabled=False)
login_manager = LoginManager()
login_manager.login_view = "admin.sign_in"
login_manager.login_message = "Sign in to see this page."
login_manager.session_protection = "strong"
