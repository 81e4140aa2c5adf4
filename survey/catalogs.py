"""The command for the interface's message catalogs (survey.message_catalogs):

    python -m survey.catalogs          compile each .mo missing or older than its .po
    python -m survey.catalogs PO...    compile these catalogs (the Makefile, one rule each)
    python -m survey.catalogs update   re-extract messages.pot from the code, merge it into
                                       every language's .po (`make translations`)

A module of its own, which nothing imports: the package imports survey.message_catalogs as it
starts (its `N_`, `gettext_in`, `language_tag`), and Python warns when `-m` runs a module that
is imported already.
"""

import sys

from survey.message_catalogs import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
