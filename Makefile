# Two commands on a fresh machine: `make book` (the laptop-profile book) and `make test`.
# Both build .venv first. The data kit is read from $XTL_DATA or ../shared/data.

PY      := .venv/bin/python
STAMP   := .venv/.xtl-installed
PROFILE ?= laptop
STEPS   ?= reference

.PHONY: book reproduce grid harvest html test lint bench questions pilot reference-first reference-notebooks clean-html

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

book: $(STAMP)  ## run the $(PROFILE) grid through papermill, the claims and teaching notebooks, then the HTML book
	$(PY) -m xtl.cli run --profile $(PROFILE)
	.venv/bin/papermill -k python3 --cwd . notebooks/claims.ipynb book/claims/claims.ipynb -p profile $(PROFILE)
	.venv/bin/papermill -k python3 --cwd . notebooks/teaching.ipynb book/teaching.ipynb
	$(MAKE) html
	@$(PY) -c "from xtl.runner import last_summary; print(last_summary('$(PROFILE)'))"

reproduce: $(STAMP)  ## re-make the $(PROFILE) profile's committed runs in a scratch folder (SAMPLE=N: N of them) and compare; resumes
	$(PY) -m xtl.reproduction --profile '$(PROFILE)' --sample='$(SAMPLE)'

grid: $(STAMP)  ## the long grid in the background, from a worktree ../grid pinned at HEAD (STEPS="reference-first:mnli-pawsx reference"); resumes
	$(PY) -m xtl.grid start $(STEPS)

harvest: $(STAMP)  ## copy the runs the background grid finished into this checkout, to commit them
	$(PY) -m xtl.grid harvest

questions: $(STAMP)  ## the five follow-up questions (3 seeds each), then their analysis notebooks
	$(PY) -m xtl.questions run

pilot: $(STAMP)  ## learning curves that size the reference profile (hours of CPU), then their analysis notebook
	$(PY) -m xtl.cli run --profile pilot
	$(MAKE) reference-notebooks

reference-first: $(STAMP)  ## the reference profile's first column (baseline and MNLI, 3 seeds; hours of CPU), then its notebooks
	$(PY) -m xtl.cli run --profile reference-first
	$(MAKE) reference-notebooks

reference-notebooks: $(STAMP)  ## re-execute the claims notebook over the reference results (its own and the reference-first runs it has not copied yet) and the sizes notebook over the pilot's
	.venv/bin/papermill -k python3 --cwd . notebooks/claims.ipynb book/claims/claims_reference.ipynb -p profile reference
	.venv/bin/papermill -k python3 --cwd . notebooks/sizes.ipynb book/reference/sizes_notebook.ipynb -p profile pilot
	$(PY) -m xtl.notebook_paths book/claims/claims_reference.ipynb book/reference/sizes_notebook.ipynb

html: $(STAMP)  ## rebuild the HTML from the committed executed notebooks (execution off)
	$(PY) -m xtl.cli book-pages
	.venv/bin/jupyter-book build . -W -n --keep-going -q

test: $(STAMP)  ## the whole test suite (offline but for PyPI wheels of the encoder)
	$(PY) -m pytest -q

lint: $(STAMP)
	.venv/bin/ruff check xtl tests benchmarks

bench: $(STAMP)  ## xtl's loop vs transformers.Trainer (default and best-configured), then xtl's evaluation vs a plain loop
	$(PY) -m benchmarks.bench
	$(PY) -m benchmarks.eval_bench

clean-html:
	rm -rf _build
