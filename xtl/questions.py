"""`python -m xtl.questions run [--dry-run] [--profiles ...]` (`make questions`): the follow-up questions.

The questions live in `xtl.report.questions`; this module is only their command name.
"""

from __future__ import annotations

import sys

from xtl.report.questions.run import main

if __name__ == "__main__":
    sys.exit(main())
