"""Settings for the benchmark server only: the app's settings from the environment, plus the bench
URLconf (bench/minimal_urls.py) with the minimal insert endpoint. Never used in production.

    DJANGO_SETTINGS_MODULE=bench.settings_bench  (set by bench/intake_load.py for its gunicorn)
"""

from leadflow.settings import *  # noqa: F403

DEBUG = False  # whatever the environment says: no query log, no debug pages in a benchmark
ROOT_URLCONF = "bench.minimal_urls"
# the load generator sends thousands of requests a second with one token: the per-token limit would
# measure the throttle, not intake
API_TOKEN_RATE = "1000000/s"
