"""The admin console: sign-in, surveys and their schedule, dashboard, users, audit log."""
