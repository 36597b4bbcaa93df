"""The book's pages build with warnings as errors over an executed claims notebook.

Robust and fast: no training. Fake result folders in the documented layout (a laptop-like grid with
real per-item predictions) go into a tmp dir; the runner writes its run index over them; the claims
notebook template runs through papermill against them; a minimal tmp book made of this repo's
`_config.yml`, its own pages (intro, method, claims, deviations, paper scale, teaching) and that
notebook is built with `jupyter-book build -W -n`. Pages of other chapters are not part of it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xtl import metrics
from xtl.paths import repo_root

PROFILE = "laptop"
REPO = repo_root()
BIN = Path(sys.executable).parent
PAGES = ["book/intro.md", "book/paper.md", "book/method.md", "book/deviations.md", "book/paper_scale.md", "book/teaching.ipynb",
         *[f"book/claims/c{i}.md" for i in range(1, 7)]]

STUBS = ["book/reference/sizes.md", "book/runs/reference-first/index.md",
         "book/runs/reference/index.md", "book/reproduction.md"]  # linked from the claim pages and the intro

# Fake quality: gain (points) of each setting over the baseline per target; languages and item counts.
SETTINGS = {"baseline": [], "mnli": ["mnli"], "squad": ["squad"], "hellaswag": ["hellaswag"],
            "multi": ["mnli", "squad", "hellaswag", "commonsenseqa", "sst2", "qqp"]}
GAIN = {"xnli": {"baseline": 0, "mnli": 8, "squad": 3, "hellaswag": 1, "multi": 6, "mnli_mlm": 5,
                 "xnli_translated": 4},
        "panx": {"baseline": 0, "mnli": 2, "squad": 5, "hellaswag": -2, "multi": 4, "mnli_mlm": 1,
                 "xnli_translated": 0},
        "tatoeba": {"baseline": 0, "mnli": -6, "squad": -3, "hellaswag": -1, "multi": -8}}
BASE = {"xnli": 55.0, "panx": 45.0, "tatoeba": 80.0}
LANGS = {"xnli": ["en", "de", "fr", "sw"], "panx": ["en", "de", "zh"], "tatoeba": ["deu", "cmn"]}
ITEMS = 150


def _config(setting: str, inter_tasks: list[str], section: str, task: str, mlm_share: float = 0.0) -> dict:
    train = {"learning_rate": 3e-5, "batch_size": 16, "epochs": 1.0, "freeze_word_embeddings": True}
    config = {"model": "me5-small", "seed": 0,
              "intermediate": {"tasks": inter_tasks, "train_limit": 1000, "dev_limit": 100, "max_length": 128,
                               "mlm_share": mlm_share, "train": dict(train)}}
    if section == "target":
        config["target"] = {"task": task, "train_limit": 1000, "dev_limit": 100, "eval_limit": ITEMS,
                            "max_length": 128, "languages": LANGS[task], "train": dict(train),
                            "eval_batch_size": 64}
    elif section == "retrieval":
        config["retrieval"] = {"task": task, "languages": LANGS[task], "limit": ITEMS, "layer": 7,
                               "max_length": 64, "prefix": ""}
    return config


def _write(folder: Path, name: str, payload) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(payload, indent=1))


def _predictions(task: str, lang: str, quality: float, rng_seed: int) -> tuple[list[dict], dict[str, float]]:
    """Items right with probability `quality`, nested across settings (the same uniform draws): paired runs."""
    rng = np.random.default_rng(rng_seed)
    if task == "panx":
        tags = ["O", "B-PER", "I-PER", "O", "B-LOC", "O"]
        lines = []
        for _ in range(ITEMS):
            draws = rng.random(len(tags))
            pred = [t if u < quality else ("O" if t != "O" else "B-ORG") for t, u in zip(tags, draws)]
            lines.append({"gold": tags, "prediction": pred})
        return lines, metrics.tagging_f1([x["gold"] for x in lines], [x["prediction"] for x in lines])
    draws = rng.random(ITEMS)
    gold = rng.integers(0, 3, ITEMS)
    lines = [{"gold": int(g), "prediction": int(g) if u < quality else int((g + 1) % 3)} for g, u in zip(gold, draws)]
    return lines, {"accuracy": metrics.accuracy([x["prediction"] for x in lines], [x["gold"] for x in lines])}


def _report(examples: int, seconds: float) -> dict:
    return {"steps": examples // 16, "examples": examples, "tokens": examples * 52, "wall_s": seconds,
            "examples_per_s": examples / seconds, "tokens_per_s": examples * 52 / seconds, "best_dev": 70.0}


def make_fake_profile(results: Path, runs: Path, profile: str = PROFILE) -> None:
    """Result folders (laptop-like grid, one seed) and the runner's manifest of executed notebooks."""
    manifest = {}
    grid = [("target", s, SETTINGS[s], t, 0.0) for s in SETTINGS for t in ("panx", "xnli")]
    grid += [("retrieval", s, SETTINGS[s], "tatoeba", 0.0) for s in SETTINGS]
    grid += [("baseline_mlm", "mnli_mlm", ["mnli"], t, 0.5) for t in ("panx", "xnli")]
    grid += [("baseline_translated", "xnli_translated", ["xnli-translated"], t, 0.0) for t in ("panx", "xnli")]
    for experiment, setting, inter_tasks, task, mlm_share in grid:
        section = "retrieval" if experiment == "retrieval" else "target"
        config = _config(setting, inter_tasks, section, task, mlm_share)
        run_id = f"{task}-{setting}-me5-small-s0-0123456789"
        folder = results / profile / experiment / run_id
        per_language = {}
        for k, lang in enumerate(LANGS[task]):
            quality = (BASE[task] + GAIN[task][setting] - 8 * k) / 100
            lines, scores = _predictions(task, lang, quality, rng_seed=1000 * k + len(task))
            per_language[lang] = scores
            if section == "target":
                (folder / "predictions").mkdir(parents=True, exist_ok=True)
                (folder / "predictions" / f"{lang}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
        metric = "accuracy" if task != "panx" else "f1"
        average = {metric: float(np.mean([s[metric] for s in per_language.values()]))}
        payload = {"task": task, "metric": metric, "per_language": per_language, "average": average,
                   "split_per_language": {lang: "test" for lang in LANGS[task]}, "wall_s": 40.0}
        if section == "target":
            payload.update(english_dev=70.0 + GAIN[task][setting], train=_report(1000, 55.0))
        _write(folder, "metrics.json", payload)
        _write(folder, "config.json", config)
        _write(folder, "env.json", {"device": "cpu (2 cores, torch threads 2)", "wall_s": 40.0})
        name = f"{setting}-{task}-s0"
        manifest[f"{experiment}/{name}"] = {
            "experiment": experiment, "name": name, "kind": section, "cells": {},
            "notebook": f"{experiment}/{name}.ipynb", "results": f"{profile}/{experiment}/{run_id}",
            "notebook_wall_s": 60.0, "estimate_s": 50.0, "config": config}
        _fake_notebook(runs / profile / experiment / f"{name}.ipynb", f"{experiment}: {name}")
    for setting in ("mnli", "squad"):  # phase-2 records: a training report, no languages
        folder = results / profile / "intermediate" / f"{setting}-s0-abcdef0123"
        _write(folder, "config.json", _config(setting, SETTINGS[setting], "intermediate", ""))
        _write(folder, "metrics.json", {"task": SETTINGS[setting], "english_dev": 70.0, "train": _report(1000, 80.0)})
        _write(folder, "env.json", {"device": "cpu (2 cores, torch threads 2)", "wall_s": 85.0})
    _write(runs / profile, "runs.json", manifest)


def _fake_notebook(path: Path, title: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nA stand-in for an executed run notebook.")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _toc(profile: str) -> str:
    claims = "\n".join(f"  - file: book/claims/c{i}" for i in range(1, 7))
    return f"""format: jb-book
root: book/intro
parts:
- caption: The paper's claims
  chapters:
  - file: book/paper
  - file: book/method
{claims}
- caption: What differs, what it costs
  chapters:
  - file: book/deviations
  - file: book/paper_scale
- caption: Try it yourself
  chapters:
  - file: book/teaching
- caption: Evidence
  chapters:
  - file: book/claims/claims
  - file: book/claims/claims_reference
  - file: book/reference/sizes
  - file: book/runs/reference-first/index
  - file: book/runs/reference/index
  - file: book/reproduction
  - file: book/runs/{profile}/index
    sections:
    - glob: book/runs/{profile}/*/*
"""


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    missing = [p for p in PAGES + ["_config.yml", "_toc.yml", "_static/xtl.css", "notebooks/claims.ipynb"]
               if not (REPO / p).is_file()]
    assert not missing, f"book files missing: {missing}"
    root = tmp_path_factory.mktemp("book")
    results, runs = root / "results", root / "book" / "runs"
    make_fake_profile(results, runs)
    env = {**os.environ, "XTL_RESULTS": str(results), "XTL_BOOK_RUNS": str(runs)}
    index = subprocess.run([sys.executable, "-c", f"from xtl import book_index; book_index.write_book_index('{PROFILE}')"],
                           check=False, env=env, capture_output=True, text=True, timeout=120)
    assert index.returncode == 0, index.stderr
    for page in PAGES:
        (root / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / page, root / page)
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    shutil.copytree(REPO / "_static", root / "_static")
    (root / "_toc.yml").write_text(_toc(PROFILE))
    executed = subprocess.run(
        [str(BIN / "papermill"), str(REPO / "notebooks" / "claims.ipynb"), str(root / "book/claims/claims.ipynb"),
         "-p", "profile", PROFILE, "-p", "results_root", str(results), "-p", "runs_root", str(runs),
         "-p", "n_boot", "300", "--cwd", str(REPO), "-k", "python3"],
        check=False, env=env, capture_output=True, text=True, timeout=300)
    assert executed.returncode == 0, executed.stderr[-3000:]
    # The pages also quote the reference profile and link its pages: here the same executed notebook stands
    # in for it (same keys), and stub pages for the chapters not built here.
    shutil.copy(root / "book/claims/claims.ipynb", root / "book/claims/claims_reference.ipynb")
    for stub in STUBS:
        (root / stub).parent.mkdir(parents=True, exist_ok=True)
        (root / stub).write_text(f"# {stub}\n\nA stand-in for a chapter this test does not build.\n")
    build = subprocess.run([str(BIN / "jupyter-book"), "build", str(root), "-W", "-n", "--keep-going"],
                           check=False, env=env, capture_output=True, text=True, timeout=300)
    return root, build


def test_book_builds_with_warnings_as_errors(built_book):
    root, build = built_book
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    assert (root / "_build/html/book/claims/c1.html").is_file()


def test_claim_pages_paste_glued_results(built_book):
    root, _ = built_book
    html = (root / "_build/html/book/claims/c1.html").read_text()
    assert any(v in html for v in ("reproduced", "not reproduced", "not testable with the data at hand"))
    assert "<img" in html  # the glued seaborn figure
    image = html.split('<img', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    assert (root / "_build/html/book/claims" / image).resolve().is_file(), image
    c6 = (root / "_build/html/book/claims/c6.html").read_text()
    assert "points" in c6  # the glued plain-minus-MLM difference
    intro = (root / "_build/html/book/intro.html").read_text()
    assert "laptop" in intro and "<table" in intro


def _glued_keys(notebook: Path) -> set[str]:
    nb = json.loads(notebook.read_text())
    return {output.get("metadata", {}).get("scrapbook", {}).get("name") for cell in nb["cells"]
            for output in cell.get("outputs", [])} - {None}


def test_every_key_a_page_pastes_is_glued_by_the_claims_notebook(built_book):
    root, _ = built_book
    glued = _glued_keys(root / "book/claims/claims.ipynb")
    pasted = set()
    for page in PAGES:
        if page.endswith(".md"):
            text = (REPO / page).read_text()
            pasted |= set(re.findall(r"claims\.ipynb::([a-z0-9_]+)", text))
            pasted |= set(re.findall(r"\{glue:any\} ([a-z0-9_]+)\n:doc: [./a-z]*claims\.ipynb", text))
    assert pasted, "no glue references found on the pages"
    assert not pasted - glued, f"pasted but never glued: {sorted(pasted - glued)}"
    for key in ("c1_verdict", "c1_fig", "c1_ours_mnli_gain", "c6_verdict", "profile_wall", "verdict_table"):
        assert key in pasted


def test_committed_book_builds_with_warnings_as_errors(tmp_path):
    """What `make html` builds on a fresh clone: the committed pages and executed notebooks, nothing else.

    Built from a copy of the tracked book files only (git ls-files), so an output that exists in a
    working tree but was never committed (a chapter's executed notebook, a run index) fails here.
    """
    listed = subprocess.run(["git", "ls-files", "book", "_config.yml", "_toc.yml", "_static"], cwd=REPO,
                            check=False, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.fail(f"git ls-files failed (the test needs a git checkout): {listed.stderr.strip()}")
    for name in listed.stdout.split():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    build = subprocess.run([str(BIN / "jupyter-book"), "build", str(tmp_path), "-W", "-n", "--keep-going", "-q"],
                           check=False, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    assert (tmp_path / "_build/html/book/intro.html").is_file()


# --------------------------------------------------------------------------- what the committed book holds

def _committed_notebooks() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "book/*.ipynb", "book/**/*.ipynb", "results/**/*.ipynb"], cwd=REPO,
                            check=False, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.fail(f"git ls-files failed (the test needs a git checkout): {listed.stderr.strip()}")
    return sorted(set(listed.stdout.split()))


def test_committed_notebooks_hold_no_machine_path_and_no_warning_output():
    """Executed notebooks read the same on every machine: no absolute folder, no stale warning (stderr)."""
    from xtl.notebook_paths import MACHINE_PREFIXES, machine_paths, warning_outputs

    names = _committed_notebooks()
    assert len(names) > 10
    markers = (*MACHINE_PREFIXES, str(REPO), str(Path.home()))
    problems = []
    for name in names:
        notebook = json.loads((REPO / name).read_text(encoding="utf-8"))
        problems += [f"{name} {where}" for where in machine_paths(notebook, markers)]
        problems += [f"{name} {where}: warning output" for where in warning_outputs(notebook)]
    assert not problems, "\n".join(problems[:20]) + "\n(clean them: python -m xtl.notebook_paths FILE...)"


def test_clean_notebook_makes_paths_relative_and_drops_warnings():
    from xtl.notebook_paths import clean_notebook, machine_paths, warning_outputs

    notebook = {"cells": [{"cell_type": "code", "source": "print(folder)", "outputs": [
        {"output_type": "stream", "name": "stderr",
         "text": ["/srv/x/.venv/lib/tqdm/auto.py:21: TqdmWarning: IProgress not found.\n"]},
        {"output_type": "stream", "name": "stdout", "text": ["/srv/x/results/laptop/target/run-1\n"]},
        {"output_type": "stream", "name": "stdout", "text": ["encoder checkpoint: /root/.cache/xtl/checkpoints/ab\n"]},
        {"output_type": "stream", "name": "stderr", "text": ["an error the reader should see\n"]},
        {"output_type": "execute_result", "data": {"text/plain": ["'/srv/x'"], "image/png": "/srv/x/AAAA"}}]}],
        "metadata": {"papermill": {"input_path": "/srv/x/notebooks/target.ipynb",
                                   "output_path": "/root/.cache/xtl/runner/1/partial/laptop/target/run-1.ipynb"}}}
    replacements = [("/srv/x", "."), ("/root/.cache/xtl", "$XTL_CACHE"), ("/srv/x2", "elsewhere")]
    clean = clean_notebook(notebook, replacements, output_path="book/runs/laptop/target/run-1.ipynb")
    texts = ["".join(o.get("text", [])) for o in clean["cells"][0]["outputs"]]
    assert texts[:3] == ["results/laptop/target/run-1\n", "encoder checkpoint: $XTL_CACHE/checkpoints/ab\n",
                         "an error the reader should see\n"]
    assert clean["cells"][0]["outputs"][3]["data"] == {"text/plain": ["'.'"], "image/png": "/srv/x/AAAA"}
    assert clean["metadata"]["papermill"] == {"input_path": "notebooks/target.ipynb",
                                              "output_path": "book/runs/laptop/target/run-1.ipynb"}
    assert not warning_outputs(clean) and not machine_paths(clean, ("/srv/", "/root/"))
    assert warning_outputs(notebook) and machine_paths(notebook, ("/srv/", "/root/"))
    assert clean_notebook(clean, replacements) == clean  # deterministic: a second pass changes nothing
    assert notebook["metadata"]["papermill"]["input_path"].startswith("/srv/x")  # the input is not modified


def test_display_path_is_repo_relative_or_named_by_its_variable(tmp_path):
    from xtl.notebook_paths import display_path

    roots = [(str(REPO), "."), (str(tmp_path / "cache"), "$XTL_CACHE"), (str(tmp_path), "$XTL_RESULTS")]
    assert display_path(REPO / "results" / "laptop" / "x", roots) == "results/laptop/x"
    assert display_path(tmp_path / "cache" / "checkpoints" / "ab", roots) == "$XTL_CACHE/checkpoints/ab"
    assert display_path(tmp_path / "teaching", roots) == "$XTL_RESULTS/teaching"
    assert display_path(REPO / "results", None) == "results"


def test_license_and_citation():
    """LICENSE is MIT like pyproject; CITATION.cff parses and cites the paper as preferred citation."""
    import yaml

    assert (REPO / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 the xtl authors")
    assert 'license = "MIT"' in (REPO / "pyproject.toml").read_text()
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software" and cff["license"] == "MIT"
    paper = cff["preferred-citation"]
    assert paper["title"] == "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too"
    assert [a["family-names"] for a in paper["authors"]] == ["Phang", "Calixto", "Htut", "Pruksachatkun", "Liu",
                                                            "Vania", "Kann", "Bowman"]
    assert paper["year"] == 2020 and "AACL-IJCNLP 2020" in paper["conference"]["name"]
    assert any(i["value"] == "arXiv:2005.13013" for i in paper["identifiers"])
