"""Published zero-shot test scores that the book sets our numbers beside (not ours: typed from papers).

XTREME baselines (Hu et al. 2020, arXiv 2003.11080), language averages on the test sets, as quoted
in the mT5 paper's comparison table (Xue et al. 2021, arXiv 2010.11934), QA as F1. BUCC and Tatoeba
for XLM-R Large are from the XTREME paper through a secondary source. X-STILTs is the paper's
submission (Phang et al. 2020) in the same mT5 table. A task missing from a row was not verified
here and is left out rather than guessed.
"""

from __future__ import annotations

SOURCES = {
    "mBERT": "Hu et al. 2020 (XTREME), via the mT5 paper's table",
    "XLM-R Large": "Hu et al. 2020 (XTREME), via the mT5 paper's table; BUCC, Tatoeba secondary",
    "X-STILTs": "Phang et al. 2020, via the mT5 paper's table",
}

SCORES: dict[str, dict[str, float]] = {
    "mBERT": {"xnli": 65.4, "pawsx": 81.9, "panx": 62.2, "xquad": 64.5, "mlqa": 61.4, "tydiqa": 59.7},
    "XLM-R Large": {"xnli": 79.2, "pawsx": 86.4, "panx": 65.4, "xquad": 76.6, "mlqa": 71.6, "tydiqa": 65.1,
                    "bucc2018": 66.0, "tatoeba": 57.3},
    "X-STILTs": {"xnli": 80.4, "pawsx": 87.7, "panx": 64.7, "xquad": 77.2, "mlqa": 72.3, "tydiqa": 76.0},
}
