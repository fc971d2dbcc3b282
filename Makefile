# The two commands of the README. Both create .venv and install what they need.
.PHONY: run test demo bench notebook
run:   ## dashboard on the embedded demo data (http://localhost:8501)
	bash scripts/run.sh
test:  ## the whole test suite (installs PostgreSQL/Chromium with apt when missing and permitted)
	bash scripts/test.sh
bench: ## issue 11's benchmark -> benchmarks/RESULTS.md (pages, CLI, ingest, peers via benchmarks/run.py, Spark; < 30 min)
	bash scripts/setup.sh test && .venv/bin/python benchmarks/results.py $(BENCH_ARGS)
notebook: ## JupyterLab on the tour notebook (installs the [notebook] extra into .venv)
	bash scripts/setup.sh notebook && .venv/bin/jupyter lab notebooks/label_quality_tour.ipynb
