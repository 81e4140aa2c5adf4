"""The admin console's pages, one module per part of the console:

- `blueprint`: the blueprint and what every page shares;
- `signing_in`: sign in and out, change one's password;
- `surveys`: the list of surveys and each one's dashboard;
- `schedule`: set the schedule, close now, reopen;
- `users` and `audit_log`: accounts and the audit log;
- `exports`: start, follow, download and delete exports;
- `sharing`: the survey's links for a channel, with their QR codes.

Each view works in one unit of work (read-only for a GET) and renders after it has ended
(`survey.rendering`). Each translates HTTP into calls of accounts, deadlines, stats, exports.
"""

from __future__ import annotations

from survey.admin import audit_log, exports, schedule, sharing, signing_in, surveys, users
from survey.admin.blueprint import bp

__all__ = ["audit_log", "bp", "exports", "schedule", "sharing", "signing_in", "surveys", "users"]
