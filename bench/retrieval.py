"""Guideline retrieval: latency p50/p95 and recall@5 at 1k, 10k and 100k chunks.

Synthetic data: unit 384-dim vectors drawn around shared topic centres (cosine ~0.7 to
their centre, ~0.5 between neighbours, roughly like sentence embeddings of one topic), so
a brand's nearest neighbours compete with other brands' rows. Per scale N the table holds
six brands (see BRAND_SIZES): the brand under test with N chunks, two big brands that are
a smaller share of the table, two either side of the exact-search threshold, and one the
size of a real guideline set. Each row of the report is 200 queries (after 20 warm-up
queries) through the production ``copygen.selectors.retrieve_for_vector``: "auto" is what
callers get, "exact" and "hnsw" force one strategy for comparison. recall@5 is measured
against exact search (ORDER BY distance with ``SET LOCAL enable_indexscan = off``).

Everything happens in a throwaway database (``bench_retrieval``) that is created, migrated
for copygen only, and dropped at the end, so the dev database never sees these rows.

Run: .venv/bin/python bench/retrieval.py    (writes bench/results/retrieval.json)
Target: p50 <= 10 ms and recall@5 >= 0.95 at 100k chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from pgvector.psycopg.vector import register_vector_info  # noqa: E402
from psycopg.types import TypeInfo  # noqa: E402

from brandguard.models import Brand  # noqa: E402
from copygen import embeddings, selectors  # noqa: E402
from copygen.models import GuidelineChunk, GuidelineDocument  # noqa: E402

BENCH_DB = "bench_retrieval"
RESULTS = Path(__file__).resolve().parent / "results"
DIM = 384
K = 5
NOISE = 1.0  # cos(point, centre) = 1/sqrt(1 + NOISE**2) ~ 0.71
# Brands and their chunk counts at scale N. main: the brand under test; other and mid: big
# brands that are a smaller share of the table; above and below: either side of
# selectors.EXACT_SEARCH_MAX_CHUNKS; small: the size of a real brand's guideline set.
BRAND_SIZES = {
    "main": lambda n: n,
    "other": lambda n: n // 10,
    "mid": lambda n: n // 20,
    "above": lambda n: selectors.EXACT_SEARCH_MAX_CHUNKS + 500,
    "below": lambda n: selectors.EXACT_SEARCH_MAX_CHUNKS - 1,
    "small": lambda n: 200,
}
HNSW_INDEX = next(i for i in GuidelineChunk._meta.indexes if i.name == "chunk_embedding_hnsw")


@dataclass
class Row:
    scale: int
    brand: str
    brand_chunks: int
    share: float  # of all rows in the table
    strategy: str
    ef_search: int | None
    queries: int
    p50_ms: float
    p95_ms: float
    recall_at_5: float
    min_rows: int
    plan: str


# --- throwaway database ---------------------------------------------------------------------


@contextmanager
def throwaway_database(name: str) -> Iterator[None]:
    """Point the default connection at a fresh database migrated for copygen; drop it after."""
    original = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    _switch_to(name)
    try:
        # copygen and what it depends on (brandguard, auth, contenttypes); nothing else.
        call_command("migrate", "copygen", verbosity=0)
        yield
    finally:
        _switch_to(original)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _switch_to(name: str) -> None:
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name


# --- data -----------------------------------------------------------------------------------


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def clustered(rng: np.random.Generator, centres: np.ndarray, n: int, spread: float) -> np.ndarray:
    picks = rng.integers(0, len(centres), size=n)
    noise = rng.standard_normal((n, DIM)) * (spread / np.sqrt(DIM))
    return unit_rows(centres[picks] + noise)


def load(brands: dict[str, Brand], sizes: dict[str, int], centres: np.ndarray,
         rng: np.random.Generator, spread: float) -> dict[str, float]:
    """Replace all chunks with fresh synthetic ones, then build the HNSW index over them."""
    timings: dict[str, float] = {}
    with connection.schema_editor() as editor:
        editor.remove_index(GuidelineChunk, HNSW_INDEX)  # bulk load first, index once
    GuidelineChunk.objects.all().delete()
    started = time.perf_counter()
    for name, brand in brands.items():
        document = GuidelineDocument.objects.get(brand=brand)
        _copy_chunks(brand, document, clustered(rng, centres, sizes[name], spread))
    timings["copy_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The build is far faster when the graph fits in maintenance_work_mem.
        cursor.execute("SET maintenance_work_mem = '1GB'")
    with connection.schema_editor() as editor:
        editor.add_index(GuidelineChunk, HNSW_INDEX)
    with connection.cursor() as cursor:
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("VACUUM ANALYZE copygen_guidelinechunk")
    timings["index_build_s"] = time.perf_counter() - started
    return timings


def _copy_chunks(brand: Brand, document: GuidelineDocument, vectors: np.ndarray) -> None:
    sql = ("COPY copygen_guidelinechunk (brand_id, document_id, document_version, position, "
           "heading, text, embedding, embedding_space) FROM STDIN WITH (FORMAT BINARY)")
    space = embeddings.space()  # retrieval compares only vectors of the configured space
    with connection.cursor() as wrapper:
        raw = wrapper.cursor
        # Binary vector adapters on this cursor only: Django's own queries keep pgvector's
        # text format and its VectorField conversions.
        register_vector_info(raw, TypeInfo.fetch(raw.connection, "vector"))
        with raw.copy(sql) as copy:
            copy.set_types(["int8", "int8", "int4", "int4", "varchar", "text", "vector",
                            "varchar"])
            for position, vector in enumerate(vectors):
                copy.write_row((brand.pk, document.pk, 1, position, "Synthetic",
                                f"synthetic chunk {position}", vector, space))


# --- measuring ------------------------------------------------------------------------------


def exact_ids(brand: Brand, vector: list[float]) -> list[int]:
    """Ground truth, independent of the code under test: the index is switched off."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(
            "SELECT id FROM copygen_guidelinechunk WHERE brand_id = %s "
            "ORDER BY embedding <=> %s::vector LIMIT %s",
            [brand.pk, "[" + ",".join(f"{x:.8f}" for x in vector) + "]", K],
        )
        return [row[0] for row in cursor.fetchall()]


def plan_of(brand: Brand, vector: list[float], strategy: str, ef: int) -> str:
    """The plan retrieve_for_vector gets, EXPLAINed inside its own transaction."""
    plans: list[str] = []

    def explain(execute, sql, params, many, context):
        if "<=>" in sql and "ORDER BY" in sql and not plans:
            cursor = context["cursor"].cursor
            cursor.execute("EXPLAIN " + sql, params)
            plans.append(" ".join(r[0].strip() for r in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        selectors.retrieve_for_vector(brand, vector, k=K, strategy=strategy, ef_search=ef)
    text = plans[0] if plans else ""
    if "chunk_embedding_hnsw" in text:
        return "hnsw index scan"
    # "Seq Scan on copygen_guidelinedocument" (the select_related join) does not count.
    if f"Seq Scan on {GuidelineChunk._meta.db_table}" in text:
        return "seq scan + sort"
    return "brand index + sort"


Config = tuple[str, int]  # (strategy, ef_search)


def measure(brand: Brand, queries: list[list[float]], truth: list[list[int]],
            configs: list[Config]) -> dict[Config, tuple[float, float, float, int]]:
    """p50 ms, p95 ms, mean recall@5 and fewest rows returned, per configuration.

    Configurations take turns on every query (in rotating order), so a burst of load from
    other processes on these shared CPUs hits all of them alike.
    """
    for vector in queries[:20]:  # warm caches and the connection
        for strategy, ef in configs:
            selectors.retrieve_for_vector(brand, vector, k=K, strategy=strategy, ef_search=ef)
    latencies: dict[Config, list[float]] = {c: [] for c in configs}
    recalls: dict[Config, list[float]] = {c: [] for c in configs}
    fewest = dict.fromkeys(configs, K)
    for i, (vector, expected) in enumerate(zip(queries, truth, strict=True)):
        turn = i % len(configs)
        for config in configs[turn:] + configs[:turn]:
            started = time.perf_counter()
            hits = selectors.retrieve_for_vector(brand, vector, k=K, strategy=config[0],
                                                 ef_search=config[1])
            latencies[config].append((time.perf_counter() - started) * 1000)
            recalls[config].append(len({h.chunk.pk for h in hits} & set(expected)) / K)
            fewest[config] = min(fewest[config], len(hits))
    results = {}
    for config in configs:
        cuts = statistics.quantiles(latencies[config], n=100)
        results[config] = (cuts[49], cuts[94], statistics.fmean(recalls[config]), fewest[config])
    return results


def run_scale(scale: int, brands: dict[str, Brand], efs: list[int], n_queries: int,
              rng: np.random.Generator, spread: float) -> tuple[list[Row], dict[str, float]]:
    sizes = {name: size(scale) for name, size in BRAND_SIZES.items()}
    # ~100 chunks per topic at every scale: the density stays put while the table grows.
    centres = unit_rows(rng.standard_normal((max(10, scale // 100), DIM)))
    timings = load(brands, sizes, centres, rng, spread)
    rows = []
    for name, brand in brands.items():
        queries = [v.tolist() for v in clustered(rng, centres, n_queries, spread)]
        truth = [exact_ids(brand, q) for q in queries]
        configs: list[Config] = [("auto", selectors.HNSW_EF_SEARCH), ("exact", 0)]
        configs += [("hnsw", ef) for ef in efs]
        for (strategy, ef), (p50, p95, recall, fewest) in measure(
            brand, queries, truth, configs
        ).items():
            rows.append(Row(
                scale=scale, brand=name, brand_chunks=sizes[name],
                share=round(sizes[name] / sum(sizes.values()), 4), strategy=strategy,
                ef_search=None if strategy == "exact" else ef, queries=len(queries),
                p50_ms=round(p50, 2), p95_ms=round(p95, 2), recall_at_5=round(recall, 4),
                min_rows=fewest, plan=plan_of(brand, queries[0], strategy, ef),
            ))
            print(_format(rows[-1]), flush=True)
    return rows, timings


HEADER = (f"{'scale':>7} {'brand':<6} {'chunks':>7} {'share':>6} {'strategy':<8} {'ef':>4} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'recall@5':>8} {'rows':>4}  plan")


def _format(row: Row) -> str:
    ef = "-" if row.ef_search is None else str(row.ef_search)
    return (f"{row.scale:>7} {row.brand:<6} {row.brand_chunks:>7} {row.share:>6.1%} "
            f"{row.strategy:<8} {ef:>4} "
            f"{row.p50_ms:>7.2f} {row.p95_ms:>7.2f} {row.recall_at_5:>8.3f} {row.min_rows:>4}"
            f"  {row.plan}")


def environment() -> dict[str, str | int | None]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        pgvector = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    return {"postgresql": server, "pgvector": pgvector, "shared_buffers": shared_buffers,
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "machine": platform.machine(), "load_average_at_start": os.getloadavg()[0]}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", default="40,64,100,160", help="hnsw.ef_search values to sweep")
    parser.add_argument("--seed", type=int, default=20260401)
    parser.add_argument("--noise", type=float, default=NOISE,
                        help="spread around the topic centres; larger is harder for HNSW")
    parser.add_argument("--out", default=str(RESULTS / "retrieval.json"))
    return parser.parse_args()


def make_brands() -> dict[str, Brand]:
    brands = {}
    for name in BRAND_SIZES:
        brand = Brand.objects.create(name=f"Bench {name}", slug=f"bench-{name}",
                                     sender_name="Bench", website_domain="bench.test")
        GuidelineDocument.objects.create(brand=brand, title="Synthetic", content="",
                                         source_name="synthetic.md", content_sha256="0" * 64)
        brands[name] = brand
    return brands


def main() -> None:
    args = parse_args()
    efs = [int(e) for e in args.ef.split(",")]
    rng = np.random.default_rng(args.seed)
    rows: list[Row] = []
    builds: dict[str, dict[str, float]] = {}
    with throwaway_database(BENCH_DB):
        env = environment()
        brands = make_brands()
        print(HEADER)
        for scale in (int(s) for s in args.scales.split(",")):
            scale_rows, build = run_scale(scale, brands, efs, args.queries, rng, args.noise)
            rows.extend(scale_rows)
            builds[str(scale)] = {name: round(value, 2) for name, value in build.items()}
            print(f"        load {build['copy_s']:.1f} s, HNSW build {build['index_build_s']:.1f} s",
                  flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "k": K, "queries_per_row": args.queries, "seed": args.seed, "noise": args.noise,
        "environment": env,
        # Other processes share these CPUs; a high load inflates every latency.
        "load_average_at_end": os.getloadavg()[0],
        "exact_search_max_chunks": selectors.EXACT_SEARCH_MAX_CHUNKS,
        "hnsw_min_share": selectors.HNSW_MIN_SHARE,
        "hnsw_ef_search": selectors.HNSW_EF_SEARCH,
        "builds": builds,
        "rows": [asdict(r) for r in rows],
    }, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
