"""`python -m survey.cli ...`: how `survey serve` starts its export worker (`export-worker`)."""

from survey.cli import main

main()
