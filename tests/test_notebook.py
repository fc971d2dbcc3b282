"""The analyst notebook runs top to bottom on the seeded demo database and finds what the demo planted.

The kernel is a kernelspec written into a temporary JUPYTER_PATH that points at this interpreter, so the test
needs no kernel installed by hand (a fresh CI virtualenv has none).
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "label_quality_tour.ipynb"
KERNEL = "labelqa-test"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="module")
def executed(tmp_path_factory, demo_url):
    """The notebook executed with nbclient against the session's demo database (read-only)."""
    tmp = tmp_path_factory.mktemp("nb")
    spec_dir = tmp / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "LabelQA (test)",
        "language": "python",
        "env": {"LABELQA_DB_URL": demo_url},
    }))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(tmp / "jupyter"))
        mp.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))
        mp.setenv("IPYTHONDIR", str(tmp / "ipython"))
        mp.setenv("LABELQA_DB_URL", demo_url)
        client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=180,
                                         resources={"metadata": {"path": str(ROOT)}})
        client.execute()
    return nb


def _summary(nb) -> dict:
    (cell,) = [c for c in nb.cells if "summary" in c.metadata.get("tags", [])]
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def _plotly_array(v) -> np.ndarray:
    """A trace's x/y: a plain list, or plotly's typed-array form ``{"dtype": "f8", "bdata": base64}``."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v)


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code) // 2  # explained, not just code


def test_every_cell_ran_and_the_figures_render(executed):
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    figures = [o for c in code for o in c.outputs if o.output_type == "display_data" and PLOTLY_MIME in o.data]
    assert len(figures) >= 4  # weekly alpha, 'van' by week, accuracy per class, F1 vs label accuracy
    s = _summary(executed)
    (alpha,) = [t for t in figures[0].data[PLOTLY_MIME]["data"] if t.get("name") == "Krippendorff's alpha"]
    y = _plotly_array(alpha["y"])
    assert len(y) == s["weeks"] and np.median(y) == pytest.approx(s["alpha_median"])


def test_agreement_by_week_and_the_schema_v2_jump(executed):
    s = _summary(executed)
    assert s["weeks"] == 26  # the demo spans 26 weeks (analytics.demo.N_WEEKS)
    assert 0.3 < s["alpha_median"] < 1.0
    # Planted truth 4 (analytics.demo.TRUTHS['schema_v2_van']): 'van' errors drop from ~35 % to ~6 % at week 10.
    assert s["van_agreement_after_v2"] > s["van_agreement_before_v2"] + 0.2


def test_accuracy_pooled_stratified_and_critical_class(executed):
    s = _summary(executed)
    assert 0.5 < s["pooled_accuracy"] < 1 and 0.5 < s["stratified_accuracy"] < 1
    low, high = s["stratified_ci"]
    assert low < s["stratified_accuracy"] < high
    # QA over-samples rare, harder classes, so the pooled figure understates the population accuracy.
    assert s["stratified_accuracy"] > s["pooled_accuracy"]
    # Planted truth 3: emergency_vehicle accuracy (~0.65) is far below the headline (~0.9), interval included.
    assert s["critical_ci_high"] < s["pooled_accuracy"]


def test_label_to_model_regression_with_its_confounder(executed):
    s = _summary(executed)
    assert s["regression_classes"] == 30  # one point per streetscene class
    # Planted truth 5: F1 rises with label accuracy after controlling for log class frequency.
    assert s["quality_coef"] > 0 and s["quality_ci"][0] > 0
    # ... and class frequency has its own positive effect on F1 (0.45 ln share in the generator), so it belongs in
    # the model; rare classes are also labelled worse there, so leaving it out inflates the quality coefficient.
    assert s["frequency_coef_ci"][0] > 0
    assert s["naive_quality_coef"] > s["quality_coef"]
    assert s["partial_r"] > 0


def test_the_three_who_where_why_problems_are_found(executed):
    s = _summary(executed)
    # Planted truth 1 (TRUTHS['annotator_drift']): ann_07 alone drifts, from week 14 (2026-08-24).
    assert s["drifting_annotators"] == ["ann_07"]
    assert s["drift_start_week"].startswith("2026-08-24")
    # Planted truth 2: motorcycle -> bicycle concentrated in team_c at night.
    assert ["motorcycle", "bicycle", "team=team_c, lighting=night"] in s["systematic_confusions"]
    assert all(t == "motorcycle" and lab == "bicycle" for t, lab, _ in s["systematic_confusions"])
    # Planted truth 6: ann_23 accepts wrong pre-labels; nobody else is flagged.
    assert s["automation_bias_annotators"] == ["ann_23"]


def test_every_planted_problem_is_named_in_the_tour():
    from analytics.demo import TRUTHS

    nb = nbformat.read(NOTEBOOK, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    table = text[text.index("## 6. The six planted problems"):]
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [int(r.split("|")[1]) for r in rows] == sorted(t.number for t in TRUTHS.values())


def test_the_notebook_has_a_documented_way_to_open_it():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("jupyterlab") for req in extras["notebook"])
    make = subprocess.run(["make", "-n", "notebook"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert make.returncode == 0, make.stderr
    assert "setup.sh notebook" in make.stdout and "jupyter lab notebooks/label_quality_tour.ipynb" in make.stdout
    assert "make notebook" in (ROOT / "README.md").read_text()
