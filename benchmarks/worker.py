"""One benchmark case in a fresh process: ``python benchmarks/worker.py '<json spec>'``.

The parent (``benchmarks/run.py``) starts one process per (implementation, input) so that no allocation of
an earlier case inflates a later one. Inside the process:

1. import the implementation and load the input (not timed);
2. reset the kernel's peak-RSS mark to the current RSS by writing ``5`` to ``/proc/self/clear_refs``
   (Linux >= 4.0), so the high-water mark ``VmHWM`` afterwards is the peak *during the computation*;
3. run the implementation ``repeat`` times (``time.perf_counter``), stopping early once ``budget_s`` is spent;
4. report ``VmHWM`` (peak RSS of the whole process, MiB) and ``VmHWM - VmRSS at reset`` (the extra memory the
   computation needed, MiB), save the answer to ``spec["out"]`` (``.npz``) and print one JSON line.

Peak RSS includes native allocations (numpy, Arrow, DuckDB's buffer manager) that ``tracemalloc`` cannot see.
Where ``clear_refs`` is unavailable the fallback is ``getrusage(RUSAGE_SELF).ru_maxrss``, whose mark cannot
be reset (``mem_method`` in the output says which was used).
"""
from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _status_kib() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, val = line.split(":", 1)
                out[key] = int(val.split()[0])
    return out


def _reset_peak() -> str:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return "VmHWM reset via /proc/self/clear_refs"
    except OSError:
        return "getrusage ru_maxrss (peak since process start)"


def _peak_kib(method: str) -> int:
    if method.startswith("VmHWM"):
        return _status_kib()["VmHWM"]
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _find_impl(key: str):
    from impls import IMPLS
    from page import PAGE_IMPLS

    if key in IMPLS:
        return IMPLS[key]
    return PAGE_IMPLS[key]


def main(spec: dict) -> dict:
    impl = _find_impl(spec["impl"])
    try:
        run = impl.setup(**spec.get("setup_args", {}))
    except ModuleNotFoundError as exc:
        if impl.ours:  # our own package must be there: that is a failure, not a skip
            raise
        return {"impl": impl.key, "status": "skipped", "error": f"peer not installed ({exc.name})"}
    inp = None
    if spec.get("input"):
        import pandas as pd

        inp = pd.read_parquet(spec["input"])
    gc.collect()
    method = _reset_peak()
    base_kib = _status_kib()["VmRSS"]
    times: list[float] = []
    values = None
    budget = float(spec.get("budget_s", 5.0))
    for _ in range(max(1, int(spec.get("repeat", 3)))):
        t0 = time.perf_counter()
        values = run(inp)
        times.append(time.perf_counter() - t0)
        if sum(times) >= budget:
            break
        gc.collect()
    peak_kib = _peak_kib(method)
    np.savez(spec["out"], **{k: np.asarray(v) for k, v in values.items()})
    return {
        "impl": impl.key,
        "times_s": times,
        "best_s": min(times),
        "rss_base_mib": base_kib / 1024,
        "rss_peak_mib": peak_kib / 1024,
        "mem_delta_mib": max(peak_kib - base_kib, 0) / 1024,
        "mem_method": method,
        "status": "ok",
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
