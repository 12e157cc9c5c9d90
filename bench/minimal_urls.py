"""The app's URLs plus `POST /bench/minimal-insert/`: the smallest Django endpoint that writes one row,
the yardstick for intake. Only reachable through bench/settings_bench.py (ROOT_URLCONF), never in
leadflow/urls.py. Its table `bench_minimal_insert` is made empty by minimal_table_reset() before a run."""

import json

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TABLE = "bench_minimal_insert"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, external_id varchar(100) NOT NULL, "
    "phone varchar(20) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
)


def minimal_table_reset():
    """Create the yardstick's table if missing and empty it (every bench that measures against it)."""
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
        cursor.execute(f"TRUNCATE {TABLE}")


@csrf_exempt
@require_POST
def minimal_insert(request):
    """Parse the same JSON body as intake, insert one row (autocommit: one statement, one commit), answer 201."""
    data = json.loads(request.body or b"{}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (external_id, phone) VALUES (%s, %s) RETURNING id",
            [str(data.get("external_id", ""))[:100], str(data.get("phone", ""))[:20]],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


@login_required
def minimal_page(request):
    """The floor of every page: session, user, roles, the middleware, the context processors and
    base.html with nothing in it (bench/queue_page_cpu.py's reference)."""
    return render(request, "base.html", {"page_title": "Leadflow"})


urlpatterns = [
    path("bench/minimal-insert/", minimal_insert, name="bench-minimal-insert"),
    path("bench/minimal-page/", minimal_page, name="bench-minimal-page"),
    path("", include("leadflow.urls")),
]
