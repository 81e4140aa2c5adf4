"""`python -m survey.cli ...`: how the web app starts a background export (`export-run`)."""

from survey.cli import main

main()
