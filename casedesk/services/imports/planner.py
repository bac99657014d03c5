"""``python -m casedesk.services.imports.planner FD``: the planning process of a parallel
import (see :mod:`casedesk.services.imports.parallel`)."""

import sys

from casedesk.services.imports.parallel import planner_main

if __name__ == "__main__":
    planner_main(sys.argv)
