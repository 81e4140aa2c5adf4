"""Flask extensions, created once and bound to the app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
# Counts live in the limiter's storage (memory or Redis), never with responses.
limiter = Limiter(key_func=get_remote_address, swallow_errors=True, headers_enabled=True)
