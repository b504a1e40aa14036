"""The Python side of the forecast benchmark: statsforecast's AutoETS and MSTL on exactly
the series the Rust side wrote, forecasts written back for the Rust side to score.

Usage: statsforecast_side.py SERIES_JSON OUT_JSON
"""

import os

# One thread, as the Rust side runs: the speed figures compare like with like.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import json
import math
import platform
import sys
import time

import numpy as np
import statsforecast
from statsforecast.models import MSTL, AutoETS


def models_for(dataset):
    """Model name and a factory per model; a fresh model for every series."""
    season = dataset["scale_season"]
    seasons = dataset["seasons"]
    return [
        (f"statsforecast AutoETS (season {season})", lambda: AutoETS(season_length=season)),
        (
            f"statsforecast MSTL{seasons} + AutoETS trend",
            lambda: MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN")),
        ),
    ]


def forecast_one(factory, train, horizon, level):
    result = factory().forecast(y=np.asarray(train, dtype=float), h=horizon, level=[level])
    point = result["mean"].tolist()
    lower = result[f"lo-{level}"].tolist()
    upper = result[f"hi-{level}"].tolist()
    if not all(math.isfinite(v) for v in point + lower + upper):
        raise ValueError("non-finite forecast")
    return point, lower, upper


def run(dataset, name, factory):
    horizon, level = dataset["horizon"], dataset["level"]
    series = dataset["series"]
    # Untimed first call: one-off initialisation is not per-series cost.
    try:
        forecast_one(factory, series[0]["train"], horizon, level)
    except Exception:  # noqa: BLE001 - a failure is reported per series below
        pass
    forecasts, failed, seconds = [], [], 0.0
    for one in series:
        started = time.perf_counter()
        try:
            point, lower, upper = forecast_one(factory, one["train"], horizon, level)
        except Exception as error:  # noqa: BLE001 - recorded and reported, not fatal
            seconds += time.perf_counter() - started
            failed.append(f"{one['id']}: {error}")
            continue
        seconds += time.perf_counter() - started
        forecasts.append({"id": one["id"], "point": point, "lower": lower, "upper": upper})
    print(f"  {dataset['name']}: {name}: {len(series)} series in {seconds:.1f} s", file=sys.stderr)
    return {"dataset": dataset["name"], "model": name, "seconds": seconds, "forecasts": forecasts, "failed": failed}


def main():
    series_path, out_path = sys.argv[1], sys.argv[2]
    with open(series_path) as f:
        datasets = json.load(f)["datasets"]
    runs = [run(dataset, name, factory) for dataset in datasets for name, factory in models_for(dataset)]
    producer = (
        f"statsforecast {statsforecast.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}"
    )
    with open(out_path, "w") as f:
        json.dump({"producer": producer, "runs": runs}, f)


if __name__ == "__main__":
    main()
