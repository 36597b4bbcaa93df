"""xtl.report's pieces behind the claims notebook: statistics, glue, the claim pages, deviations, paper scale.

The last test re-executes notebooks/claims.ipynb over the committed laptop results and requires every
glued value (texts, tables, figures) to equal the committed book/claims/claims.ipynb.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from xtl.errors import XtlError
from xtl.paths import repo_root
from xtl.report import claim_pages, deviations, scale, stats
from xtl.report.glue import differences, glued_values
from xtl.report.stats import Estimate, Verdict

# Two-sided 95 % Student-t quantiles t(0.975, df), df = 1..30, as printed in standard tables.
T_TABLE = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
           2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
           2.045, 2.042)


# --------------------------------------------------------------------------- stats

def test_t_quantile_is_the_standard_table():
    assert [stats.t_quantile_975(df) for df in range(1, 31)] == list(T_TABLE)
    assert stats.t_quantile_975(1000) == pytest.approx(1.962, abs=1e-3)
    with pytest.raises(XtlError, match="at least 2 seeds"):
        stats.t_quantile_975(0)


def test_t_interval_by_hand():
    effect = stats.t_interval({0: 1.0, 1: 2.0, 2: 6.0})  # mean 3, sd sqrt(7)
    half = 4.303 * math.sqrt(7) / math.sqrt(3)
    assert effect.value == pytest.approx(3.0) and effect.n_seeds == 3
    assert (effect.lo, effect.hi) == pytest.approx((3.0 - half, 3.0 + half))
    assert stats.t_interval({0: 5.0}).text() == "+5.0 (no interval: 1 seed)"
    assert stats.t_interval({}).text() == "not run"


def test_contrast_pairs_by_seed_and_drops_unpaired_seeds():
    effect = stats.contrast({0: 5.0, 1: 7.0, 2: 9.0, 3: 100.0}, {0: 4.0, 1: 5.0, 2: 6.0})
    assert effect.per_seed == {0: 1.0, 1: 2.0, 2: 3.0}


def test_percentile_interval_and_estimate_text():
    lo, hi = stats.percentile_interval(np.arange(1001, dtype=float))
    assert (lo, hi) == pytest.approx((25.0, 975.0))
    assert Estimate(2.34, 0.81, 3.86, "t", 3).text() == "+2.3 [+0.8, +3.9]"
    assert Estimate(2.34, None, None, "none", 1).text() == "+2.3 (no interval)"
    assert Estimate(1.0, 0.1, 2.0, "t", 3).excludes_zero_above and not Estimate(1.0, -0.1, 2.0, "t", 3).excludes_zero_above


# --------------------------------------------------------------------------- glue

def _glued_notebook(path: Path, values: dict[str, str]) -> Path:
    cell = nbformat.v4.new_code_cell("glue(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": repr(v)},
                                           metadata={"scrapbook": {"name": k, "mime_prefix": "application/papermill.record/"}})
                    for k, v in values.items()]
    cell.outputs.append(nbformat.v4.new_output("stream", text="printed, not glued\n"))
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


def test_glued_values_reads_every_key_and_differences_names_the_changed_ones(tmp_path):
    before = glued_values(_glued_notebook(tmp_path / "a.ipynb", {"c1_verdict": "reproduced", "n": "3"}))
    assert before == {"c1_verdict": {"text/plain": "'reproduced'"}, "n": {"text/plain": "'3'"}}
    after = glued_values(_glued_notebook(tmp_path / "b.ipynb", {"c1_verdict": "not reproduced", "m": "1"}))
    assert differences(before, before) == []
    assert differences(before, after) == ["c1_verdict: text/plain differ", "m: only after", "n: only before"]


# --------------------------------------------------------------------------- claim pages

def test_display_names():
    assert claim_pages.display_name("mnli") == "mnli"
    assert claim_pages.display_name("mnli+mlm") == "mnli + MLM"
    assert claim_pages.display_name("mnli+qqp+squad") == "multi-task (3)"
    assert claim_pages.display_name("mnli+qqp+mlm") == "multi-task (2) + MLM"
    assert claim_pages.display_name("xnli-translated") == "xnli-translated"


class _Data:
    """The two things `verdict_texts` reads from ClaimsData, without loading a profile."""

    planned: tuple = ()
    results_root = Path("/nonexistent")

    class res:  # stands in for a Results
        model = "me5-small"

        class score_def:
            name = "XTREME score"


def test_verdict_texts_say_seeds_model_targets_left_out_and_the_first_rule():
    v = Verdict("reproduced", "because", {"seeds": [0, 1, 2], "targets": ["xnli", "panx"], "interval": "t-interval",
                                          "left_out": {"udpos": "no interval", "pawsx": "pawsx: left out; one class."}})
    first = Verdict("not reproduced", "the old reason", {})
    texts = claim_pages.verdict_texts("c1", v, first, _Data())
    assert texts["c1_evidence"] == ("3 seeds (0, 1, 2); model me5-small; targets xnli, panx; score: XTREME score; "
                                    "interval: t-interval")
    assert texts["c1_left_out"] == "udpos: no interval. pawsx: left out; one class."
    assert texts["c1_verdict"] == "reproduced" and texts["c1_first_verdict"] == "not reproduced"
    assert texts["c1_first_reason"] == "the old reason"
    assert texts["c1_waiting"].startswith("This profile has no plan")
    empty = claim_pages.verdict_texts("c2", Verdict("not testable", "no runs", {}), first, _Data())
    assert empty["c2_evidence"].startswith("0 seeds (none); model me5-small; targets none")
    assert empty["c2_left_out"] == "none."


def test_comparisons_table_and_effects_put_ours_beside_the_paper():
    comparisons = [{"name": "mnli average gain", "value": 1.25, "lo": 0.5, "hi": 2.0, "method": "t", "n_seeds": 3,
                    "paper": "+7.5", "outcome": "reproduced"},
                   {"name": "mnli minus qqp", "value": -0.5, "lo": None, "hi": None, "method": "none", "n_seeds": 1,
                    "paper": "", "outcome": "undecided"}]
    v = Verdict("undecided", "r", {"comparisons": comparisons})
    table_ = claim_pages.comparisons_table(v)
    assert list(table_["paper"]) == ["+7.5", "not published"] and list(table_["outcome"]) == ["reproduced", "undecided"]
    assert claim_pages._effects(v) == "mnli average gain: +1.2 [+0.5, +2.0]; paper +7.5<br>mnli minus qqp: -0.5 (no interval)"
    assert claim_pages.comparisons_table(Verdict("not testable", "r", {})).empty


def test_claim_texts_when_nothing_ran():
    from xtl.report import claim_texts
    from xtl.report.gains import Results

    empty, res = Verdict("not testable", "no runs", {}), Results(pd.DataFrame())
    assert claim_texts.c1_texts(empty, res) == {"c1_ours_squad_gain": "not run", "c1_ours_mnli_gain": "not run",
                                                "c1_ours_hellaswag_gain": "not run", "c1_targets": "none"}
    assert claim_texts.c2_texts(empty)["c2_rank"] == "not ranked"
    assert claim_texts.c3_texts(empty)["c3_ranking"] == "not ranked"
    assert claim_texts.c4_texts(empty) == {"c4_ours_tydiqa_gain": "not run in this profile",
                                           "c4_ours_xnli_gain": "not run in this profile", "c4_difference": "not run"}
    assert claim_texts.c5_texts(empty)["c5_n_targets"] == 0
    assert claim_texts.c6_texts(empty, "none")["c6_ours_mlm_diff"] == "not run"


def test_c2_and_c4_texts_by_hand():
    from xtl.report import claim_texts

    gains = {"mnli+qqp": {"value": 2.04, "lo": 0.5, "hi": 3.5, "method": "t"}, "mnli": {"value": 1.0, "lo": 0.0,
                                                                                        "hi": 2.0, "method": "t"}}
    v = Verdict("reproduced", "", {"multi_task": "mnli+qqp", "gains": gains, "seeds": [0, 1, 2],
                                   "ranking": ["mnli+qqp", "mnli"]})
    assert claim_texts.c2_texts(v) == {"c2_ours_multi_gain": "+2.0 [+0.5, +3.5] points", "c2_multi_tasks": "mnli, qqp",
                                       "c2_n_multi_tasks": 2, "c2_rank": "#1 of 2"}
    v4 = Verdict("undecided", "", {"gains": {"xnli": {"mnli": {"value": 1.0}, "qqp": {"value": -3.0}},
                                             "tydiqa": {"mnli": {"value": 4.0}}},
                                   "comparisons": [{"name": "TyDiQA minus XNLI mean gain", "value": 5.0, "lo": 1.0,
                                                    "hi": 9.0, "method": "t", "n_seeds": 3}]})
    texts = claim_texts.c4_texts(v4)
    assert texts["c4_ours_xnli_gain"] == "mean -1.0 points over 2 settings (range -3.0 to +1.0)"
    assert texts["c4_ours_tydiqa_gain"] == "+4.0 points (one setting: mnli)"
    assert texts["c4_difference"] == "+5.0 [+1.0, +9.0] points"


def test_an_empty_table_is_glued_as_a_sentence_not_a_python_string():
    from IPython.display import HTML

    from xtl.report.glue import sentence

    value = sentence("No run <yet> & none")
    assert isinstance(value, HTML) and value.data == "<p>No run &lt;yet&gt; &amp; none</p>"


# --------------------------------------------------------------------------- deviations and paper scale

def _config(task="xnli", inter=("mnli",), mlm_share=0.0) -> dict:
    train = {"epochs": 2, "learning_rate": 1e-5, "batch_size": 4, "freeze_word_embeddings": False}
    return {"model": "me5-small", "seed": 0,
            "intermediate": {"tasks": list(inter), "train_limit": 600, "max_length": 128, "mlm_share": mlm_share,
                             "train": train},
            "target": {"task": task, "train_limit": None, "eval_limit": 100, "max_length": 128, "train": train,
                       "languages": ["en", "de"]}}


def test_size_rows_per_phase():
    rows = deviations.size_rows(_config(mlm_share=0.2))
    assert [r["phase"] for r in rows] == ["3 (target)", "2 (intermediate)"]
    assert rows[0]["train examples"] == "all" and rows[0]["languages"] == 2
    assert rows[1]["languages"] == "en + MLM 0.2" and rows[1]["task"] == "mnli"
    assert deviations.size_rows({"retrieval": {"task": "tatoeba", "limit": None, "max_length": 64,
                                               "languages": None}})[0]["eval items per language"] == "all"


def test_sizes_of_no_runs_says_so(tmp_path):
    assert list(deviations.sizes([tmp_path])["note"]) == ["no runs in this profile"]


def test_plan_tokens_counts_each_phase2_setting_once_and_mlm_in_proportion():
    runs = [("target", _config("xnli", ("mnli",), 0.0)), ("target", _config("panx", ("mnli",), 0.0)),
            ("baseline_mlm", _config("xnli", ("mnli",), 0.5))]
    plan, n_phase2 = scale.plan_tokens(runs)
    assert n_phase2 == 2
    phase2 = plan[plan["phase"] == "2"]
    assert list(phase2["task"]) == ["mnli", "mnli", "mlm"]
    # the registry's costs: MNLI 392,702 examples x 2 epochs x 64 tokens; MLM (share 0.5: as many examples) x 40
    assert phase2["tokens"].iloc[0] == 392_702 * 2 * 64
    assert phase2["tokens"].iloc[2] == 392_702 * 2 * 40
    table = scale.plan_table(plan)
    assert table.set_index(["phase", "task"]).loc[("3", "xnli"), "runs"] == 2
    assert plan.set_index(["phase", "task"]).loc[("3", "panx"), "tokens"] == 20_000 * 2 * 40


def test_plan_tokens_names_a_task_without_a_recorded_cost():
    with pytest.raises(XtlError, match="no official training size for 'xcopa'"):
        scale.plan_tokens([("target", _config("xcopa", (), 0.0))])


def _bench(folder: Path, device: str, model: str, mfu: float | None) -> None:
    folder.mkdir(exist_ok=True)
    run = {"side": "xtl", "tokens_per_s": 1000.0, "model_tflops_per_s": 0.5, "mfu": mfu}
    (folder / f"{device}-{model}.json").write_text(json.dumps({
        "environment": {"device": device, "gpu": "H100" if device == "cuda" else None, "cpu": "a cpu"},
        "workloads": [{"model": model, "batch_size": 4, "max_length": 128, "runs": [run, {**run, "side": "hf"}]}]}))


def test_utilisation_is_measured_on_a_gpu_else_assumed(tmp_path):
    assert scale.utilisation(scale.bench_results(tmp_path))[0] == scale.ASSUMED_UTILISATION
    _bench(tmp_path, "cpu", "xlm-roberta-large", None)
    bench = scale.bench_results(tmp_path)
    assert len(bench) == 1 and scale.utilisation(bench)[0] == scale.ASSUMED_UTILISATION
    _bench(tmp_path, "cuda", "xlm-roberta-large", 0.3)
    shares, note = scale.utilisation(scale.bench_results(tmp_path))
    assert shares == pytest.approx((0.15, 0.3, 0.6)) and note.startswith("measured: make bench, xlm-roberta-large on H100")


def test_cost_texts_by_hand(tmp_path):
    plan = pd.DataFrame({"tokens": [1e9, 1e9]})
    speed = pd.DataFrame({"model": ["me5-small"], "tokens": [1000.0], "seconds": [10.0]})
    texts = scale.cost_texts(plan, speed, scale.bench_results(tmp_path))
    flops = 6 * scale.NON_EMBEDDING["xlm-roberta-large"] * 2e9
    assert texts["scale_paper_pflops"] == pytest.approx(flops / 1e15)
    assert texts["scale_gpu_hours"] == pytest.approx(flops / (0.10 * scale.H100_BF16_PEAK) / 3600)
    assert texts["scale_cpu_gflops"] == pytest.approx(6 * scale.NON_EMBEDDING["me5-small"] * 100 / 1e9)
    assert texts["scale_cpu_large_note"].startswith("not measured")
    assert math.isnan(scale.cost_texts(plan, speed.iloc[:0], scale.bench_results(tmp_path))["scale_cpu_years"])


def test_paper_plan_reads_the_paper_profile():
    runs = scale.paper_plan()
    assert runs and all(config["model"] for _, config in runs)
    assert {"target"} <= {name for name, _ in runs}


# --------------------------------------------------------------------------- the claims notebook, end to end

def test_claims_notebook_glues_the_committed_values(tmp_path):
    """Re-executed over the committed laptop results, every value the claim pages paste is unchanged."""
    import papermill

    out = tmp_path / "claims.ipynb"
    papermill.execute_notebook(str(repo_root() / "notebooks" / "claims.ipynb"), str(out),
                               parameters={"profile": "laptop"}, kernel_name="python3", cwd=str(repo_root()),
                               progress_bar=False)
    committed = glued_values(repo_root() / "book" / "claims" / "claims.ipynb")
    assert len(committed) > 90
    assert differences(committed, glued_values(out)) == []


def test_claims_notebook_is_thin():
    notebook = nbformat.read(repo_root() / "notebooks" / "claims.ipynb", as_version=4)
    code = [line for c in notebook.cells if c.cell_type == "code" for line in c.source.splitlines()]
    assert len(code) <= 150
    assert not any("except Exception" in line or line.lstrip().startswith("def ") for line in code)
