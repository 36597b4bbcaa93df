"""Reproduction on demand (`make reproduce`): re-make a profile's committed runs and say how far apart they are.

`plan` picks the runs (all of them, or a stratified sample) and what they should cost, `compare` measures
two result folders of one run against each other, `report` keeps the reports (JSON, markdown, the book's
page, the intro's line) and `run` is the loop and the command (`python -m xtl.reproduction`).
"""
