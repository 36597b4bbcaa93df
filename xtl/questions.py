"""`python -m xtl.questions run [--dry-run] [--profiles ...]` (`make questions`): the follow-up questions.

The questions live in `xtl.report.questions`; this module is their command name, and it hands on the
grid's names (`PROFILES`, `QUESTIONS_FILE`) that the runner's index pages read.
"""

from __future__ import annotations

import sys

from xtl.report.questions.rules import PROFILES, QUESTIONS_FILE

__all__ = ["PROFILES", "QUESTIONS_FILE"]

if __name__ == "__main__":
    from xtl.report.questions.run import main  # only as a command: the runner reading PROFILES loads no papermill

    sys.exit(main())
