"""Published zero-shot test scores that the book sets our numbers beside (not ours: typed from papers).

XTREME baselines (Hu et al. 2020, arXiv 2003.11080), language averages on the test sets, as quoted
in the mT5 paper's comparison table (Xue et al. 2021, arXiv 2010.11934; the table is also in the
google-research/multilingual-t5 README), QA as F1. BUCC (66.0) and Tatoeba (57.3) for XLM-R Large
are the XTREME paper's, read through secondary sources (two agree: the one this book started from,
and a summary of the VECO paper's comparison table, which quotes XLM-R from XTREME). X-STILTs is the
paper's submission (Phang et al. 2020) in the same mT5 table. UD-POS for both models, and BUCC and
Tatoeba for mBERT, could not be checked against a source reachable here (the XTREME paper's table is
not in the stored pages): they are left out rather than guessed.

Checked again (issue 24, item 6): every number above matches the Results table of the
google-research/multilingual-t5 README ("| mBERT | 65.4 | 81.9 | 62.2 | 64.5 | 61.4 | 59.7 |",
"| X-STILTs | 80.4 | 87.7 | 64.7 | 77.2 | 72.3 | 76.0 |", "| XLM-R | 79.2 | 86.4 | 65.4 | 76.6 |
71.6 | 65.1 |"); that table has no POS, BUCC or Tatoeba column. The VECO summary (a Markdown
paper note in the code index) still reads "| XLM-R | 79.2 | 86.4 | 65.4 | 76.6 / 60.8 | 71.6 / 53.2 |
66.0 | 57.3 | 68.1 |", so XLM-R's BUCC and Tatoeba stand as they were. The blanks stay blank: the
google-research/xtreme repository (README and scripts, every stored commit) publishes no scores; the
stored copies of the XTREME, XTREME-R and X-STILTs papers reach no further than their introductions;
no other copy of the XTREME table turned up in the code index (searched by meaning and by
exact number sequences in Markdown, LaTeX and JSON forms).
"""

from __future__ import annotations

SOURCES = {
    "mBERT": "Hu et al. 2020 (XTREME), via the mT5 paper's table",
    "XLM-R Large": "Hu et al. 2020 (XTREME), via the mT5 paper's table; BUCC, Tatoeba via secondary sources",
    "X-STILTs": "Phang et al. 2020, via the mT5 paper's table",
}

SCORES: dict[str, dict[str, float]] = {
    "mBERT": {"xnli": 65.4, "pawsx": 81.9, "panx": 62.2, "xquad": 64.5, "mlqa": 61.4, "tydiqa": 59.7},
    "XLM-R Large": {"xnli": 79.2, "pawsx": 86.4, "panx": 65.4, "xquad": 76.6, "mlqa": 71.6, "tydiqa": 65.1,
                    "bucc2018": 66.0, "tatoeba": 57.3},
    "X-STILTs": {"xnli": 80.4, "pawsx": 87.7, "panx": 64.7, "xquad": 77.2, "mlqa": 72.3, "tydiqa": 76.0},
}
