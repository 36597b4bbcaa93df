"""The follow-up questions Q1-Q5 (book/paper.md): which runs answer each, effects with 95 % intervals, verdicts.

`rules` (names, verdict rule, `Analysis`), `data` (loading and per-seed scores), one module per
question (`q1` ... `q5`: analysis and verdict), `figure`, and `run` (the grid, the analysis notebooks,
the command behind `python -m xtl.questions`).
"""
