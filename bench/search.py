#!/usr/bin/env python
"""Benchmark: the portal's search over 10,000 generated guides, on SQLite and PostgreSQL.

    python bench/search.py [--documents 10000] [--repeat 15] [--postgres URL | --no-postgres] [--reuse DIR]

For each database (embedded SQLite in a temporary var dir; PostgreSQL in a
throwaway database on the server of ``--postgres`` or of a PostgreSQL
``DATABASE_URL``, dropped at the end) a child process:

1. migrates, loads the demo municipality and generates ``--documents`` guide
   pages with Spanish titles, aliases, summaries and requirements;
2. runs ``manage.py update_index`` (backend index, search documents,
   vocabulary) and times it;
3. runs a fixed mix of citizen queries (typos, plurals, filler words) through
   the portal's search (``search.selectors.search``) and, as the reference,
   the bare full-text SQL query on the same index (SQLite: FTS5 ``MATCH`` with
   bm25 ordering; PostgreSQL: ``@@ to_tsquery('ayni_spanish', …)`` with
   ``ts_rank`` ordering), top 10, interleaved, ``--repeat`` times each after a
   warm-up; and the same for suggestions (``search.selectors.suggest``).

``--reuse DIR`` keeps the generated and indexed municipality (steps 1 and 2)
between runs: a copy of the SQLite file in DIR and a template database on the
PostgreSQL server (``ayni_bench_search_<documents>``); a later run starts
from them and only measures (step 3).

The parent prints a table of p50/p95 latencies and their ratio to the bare
query measured in the same run, and replaces the ``## Búsqueda
(bench/search.py)`` section of ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder would come first on sys.path and this
# module would shadow the ``search`` app: put the project root there instead.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
SECTION_TITLE = "## Búsqueda (bench/search.py)"
RESULTS_PATH = ROOT / "bench" / "results.md"

QUERY_MIX = [
    "licencia de funcionamiento",
    "lisencia funcionamiento",
    "permisos de construccion",
    "certificado catastal",
    "como pago el impuesto de mi inmueble",
    "registro de mascotas",
    "renovacion patente comercio",
    "publicidad letrero",
    "autorisacion evento feria",
    "duplicado certificado distrito",
    "quiero reservar un puesto en el mercado",
    "kiosko",
]
SUGGEST_MIX = ["tram", "lic", "permiso de c", "certif", "reg", "pago imp", "auto", "kio"]

SUBJECTS = [
    "Licencia",
    "Permiso",
    "Certificado",
    "Registro",
    "Pago",
    "Autorización",
    "Renovación",
    "Duplicado",
    "Inscripción",
    "Reserva",
    "Habilitación",
    "Solicitud",
    "Patente",
    "Aprobación",
    "Consulta",
    "Baja",
]
OBJECTS = [
    "funcionamiento",
    "construcción",
    "publicidad",
    "letrero",
    "kiosko",
    "mercado",
    "feria",
    "evento",
    "mascotas",
    "vehículo",
    "inmueble",
    "lote",
    "comercio",
    "transporte",
    "agua potable",
    "alumbrado",
    "residuos",
    "árbol",
    "poda",
    "vía pública",
    "espectáculo",
    "taxi",
    "minibús",
    "cementerio",
    "nicho",
    "catastro",
    "impuesto",
    "tasa",
    "parqueo",
    "terreno",
    "panadería",
    "restaurante",
    "farmacia",
    "taller",
]
PLACES = ["Centro", "Norte", "Sur", "Este", "Oeste", "Periurbano", "Rural", "Mercado Central", "Villa Esperanza"]
FILLER = (
    "El trámite se realiza en la plataforma de atención ciudadana del distrito y requiere la presentación "
    "de los documentos originales. La oficina revisa la solicitud y emite el documento en el plazo señalado."
).split()
REQUIREMENTS = [
    "Fotocopia de la cédula de identidad",
    "Formulario único de solicitud",
    "Croquis de ubicación",
    "Folio real actualizado",
    "Comprobante de pago de la tasa",
    "Plano aprobado",
    "NIT del titular",
    "Contrato de alquiler",
    "Certificado de antecedentes",
    "Fotografía del establecimiento",
]


def _pages_module():
    spec = importlib.util.spec_from_file_location("bench_pages", ROOT / "bench" / "pages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pages"] = module
    spec.loader.exec_module(module)
    return module


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Child: runs inside Django against one database
# --------------------------------------------------------------------------


def _generated_guides(count: int, seed: int = 7):
    rng = random.Random(seed)
    for i in range(count):
        subject, obj, place = rng.choice(SUBJECTS), rng.choice(OBJECTS), rng.choice(PLACES)
        district = rng.randint(1, 14)
        title = f"{subject} de {obj} en {place} {district} ({i})"
        aliases = [f"{rng.choice(SUBJECTS).lower()} {obj}", f"{obj} {place.lower()}"]
        summary = f"{subject} de {obj} para el distrito {district}. " + " ".join(rng.sample(FILLER, 12)) + "."
        yield f"guia-generada-{i}", title, aliases, summary, rng.sample(REQUIREMENTS, 3)


def _generate(count: int) -> float:
    from django.conf import settings
    from django.db import transaction
    from wagtail.signal_handlers import disable_reference_index_auto_update

    from cms.models import GuideAlias, GuideCategory, GuideIndexPage, GuidePage, GuideRequirement, Office

    index = GuideIndexPage.objects.get(slug="tramites", locale__language_code=settings.LANGUAGE_CODE)  # the original
    office = Office.objects.filter(locale=index.locale).first()
    category = GuideCategory.objects.filter(locale=index.locale).first()
    started = time.perf_counter()
    batch = 500
    guides = list(_generated_guides(count))
    with disable_reference_index_auto_update():
        for start in range(0, count, batch):
            with transaction.atomic():
                for slug, title, aliases, summary, requirements in guides[start : start + batch]:
                    page = GuidePage(title=title, slug=slug, summary=summary, office=office, category=category)
                    page.alternative_names = [GuideAlias(name=a) for a in aliases]
                    page.requirements = [GuideRequirement(text=r) for r in requirements]
                    index.add_child(instance=page)
            say(f"  {min(start + batch, count)} guías generadas")
    return time.perf_counter() - started


def _bare_query(terms: list[str]):
    """The reference: one full-text SQL query on the backend's index, top 10 by rank."""
    from django.db import connection
    from modelsearch.conf import get_app_config

    table = get_app_config().get_model("IndexEntry")._meta.db_table
    if connection.vendor == "postgresql":
        tsquery = " | ".join(terms)
        sql = (
            f"SELECT object_id FROM {table} "
            "WHERE (title @@ to_tsquery('ayni_spanish', %s) OR body @@ to_tsquery('ayni_spanish', %s)) "
            "ORDER BY ts_rank(title || body, to_tsquery('ayni_spanish', %s)) DESC LIMIT 10"
        )
        params = [tsquery, tsquery, tsquery]
    else:
        sql = f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s ORDER BY bm25({table}_fts) LIMIT 10"
        params = [" OR ".join(f'"{t}"' for t in terms)]

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def _measure(pairs, repeat: int) -> dict[str, list[float]]:
    """Interleave portal and reference calls so drift affects both alike."""
    times: dict[str, list[float]] = {name: [] for name in pairs[0][1]}
    for _label, functions in pairs:  # warm-up
        for function in functions.values():
            function()
    for _ in range(repeat):
        for _label, functions in pairs:
            for name, function in functions.items():
                started = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - started)
    return times


def child(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from cms.demo.loader import load_demo
    from search import selectors
    from search.analysis import query_terms
    from search.models import SearchDocument, SearchTerm

    # Index updates are done in bulk by update_index below, not page by page.
    settings.WAGTAILSEARCH_BACKENDS["default"]["AUTO_UPDATE"] = False
    call_command("migrate", verbosity=0)
    with connection.cursor():
        pass
    if args.reused:
        say("  guías generadas reutilizadas (--reuse)")
        generate_seconds = float(args.reused)
    else:
        say("  cargando la demo …")
        load_demo()
        say(f"  generando {args.documents} guías …")
        generate_seconds = _generate(args.documents)
    if args.reused:
        index_seconds = None  # the kept database holds the index, documents and vocabulary already
    else:
        started = time.perf_counter()
        call_command("update_index", verbosity=0)
        index_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # The planner's statistics, as autovacuum keeps them in a live database: measured right after
        # 10000 inserts without them, PostgreSQL guessed a tenth of the pages and checked each
        # candidate's view restrictions with a scan of the whole page table (100 ms a search).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    search_pairs = []
    for query in QUERY_MIX:
        terms = query_terms(query)
        search_pairs.append(
            (query, {"portal": (lambda q=query: selectors.search(query=q)), "bare": _bare_query(terms)})
        )
    suggest_pairs = []
    for prefix in SUGGEST_MIX:
        suggest_pairs.append(
            (
                prefix,
                {
                    "portal": (lambda p=prefix: selectors.suggest(prefix=p)),
                    "bare": _bare_query(query_terms(prefix) or ["x"]),
                },
            )
        )
    say("  midiendo búsquedas …")
    search_times = _measure(search_pairs, args.repeat)
    say("  midiendo sugerencias …")
    suggest_times = _measure(suggest_pairs, args.repeat)
    hits = {query: [h.title for h in selectors.search(query=query).hits[:1]] for query in QUERY_MIX[:3]}
    result = {
        "vendor": connection.vendor,
        "documents": SearchDocument.objects.count(),
        "vocabulary": SearchTerm.objects.count(),
        "generate_seconds": generate_seconds,
        "index_seconds": index_seconds,
        "search": search_times,
        "suggest": suggest_times,
        "sample": hits,
    }
    Path(args.json).write_text(json.dumps(result))


# --------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------


def run_child(label: str, database_url: str | None, args, *, reused: float = 0.0, keep=None) -> dict:
    """``reused``: the database already holds the generated guides (that took ``reused`` seconds);
    ``keep(tmp)``: called after the child with its var dir, to keep the generated data."""
    with tempfile.TemporaryDirectory(prefix="ayni-bench-search-") as tmp:
        out = Path(tmp) / "result.json"
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ELASTICSEARCH_URL"}}
        env.update({"DJANGO_SETTINGS_MODULE": "ayni.settings.dev", "AYNI_VAR_DIR": tmp, "PYTHONPATH": str(ROOT)})
        if database_url:
            env["DATABASE_URL"] = database_url
        elif args.reuse and (Path(args.reuse) / _sqlite_copy_name(args)).exists():
            shutil.copyfile(Path(args.reuse) / _sqlite_copy_name(args), Path(tmp) / "ayni.sqlite3")
            reused = float((Path(args.reuse) / (_sqlite_copy_name(args) + ".seconds")).read_text())
        command = [sys.executable, __file__, "--child", "--json", str(out)]
        command += ["--documents", str(args.documents), "--repeat", str(args.repeat), "--reused", str(reused)]
        say(f"→ {label}")
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        result = json.loads(out.read_text())
        if args.reuse and not database_url and not reused:
            Path(args.reuse).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(tmp) / "ayni.sqlite3", Path(args.reuse) / _sqlite_copy_name(args))
            (Path(args.reuse) / (_sqlite_copy_name(args) + ".seconds")).write_text(str(result["generate_seconds"]))
        return result


def _sqlite_copy_name(args) -> str:
    return f"search-{args.documents}.sqlite3"


def _postgres_run(pages, postgres_url: str, args) -> dict:
    """A throwaway database; with ``--reuse``, cloned from (or saved as) a template with the generated guides."""
    database = pages.throwaway_database(postgres_url)
    template = f"ayni_bench_search_{args.documents}"
    reused = 0.0
    if args.reuse:
        import psycopg
        from psycopg import sql

        seconds_file = Path(args.reuse) / f"{template}.seconds"
        with psycopg.connect(database.admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
            if exists and seconds_file.exists():
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(database.name)))
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(database.name), sql.Identifier(template)
                    )
                )
                reused = float(seconds_file.read_text())
    try:
        result = run_child(database.label, database.url, args, reused=reused)
        if args.reuse and not reused:
            import psycopg
            from psycopg import sql

            with psycopg.connect(database.admin_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(template)))
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(template), sql.Identifier(database.name)
                    )
                )
            Path(args.reuse).mkdir(parents=True, exist_ok=True)
            (Path(args.reuse) / f"{template}.seconds").write_text(str(result["generate_seconds"]))
        return result
    finally:
        database.drop()


def render_section(results: list[tuple[str, dict]], pages, args) -> str:
    headers = ["base de datos", "consulta", "p50 portal", "p95 portal", "p50 SQL", "p95 SQL", "×p50", "×p95"]
    rows = []
    notes = []
    for label, data in results:
        for kind, title in (("search", "búsqueda"), ("suggest", "sugerencias")):
            portal, bare = data[kind]["portal"], data[kind]["bare"]
            p50, p95 = pages.percentile(portal, 50), pages.percentile(portal, 95)
            b50, b95 = pages.percentile(bare, 50), pages.percentile(bare, 95)
            rows.append(
                [
                    label,
                    title,
                    pages.fmt_ms(p50),
                    pages.fmt_ms(p95),
                    pages.fmt_ms(b50),
                    pages.fmt_ms(b95),
                    pages.fmt_ratio(pages.ratio(p50, b50)),
                    pages.fmt_ratio(pages.ratio(p95, b95)),
                ]
            )
        notes.append(
            f"- {label}: {data['documents']} documentos de búsqueda, vocabulario de {data['vocabulary']} palabras; "
            + (
                f"`update_index` {data['index_seconds']:.1f} s (generar las guías: {data['generate_seconds']:.0f} s)."
                if data["index_seconds"] is not None
                else f"datos e índice de una corrida anterior (`--reuse`; generar las guías: "
                f"{data['generate_seconds']:.0f} s)."
            )
        )
    lines = [
        SECTION_TITLE,
        "",
        f"{args.documents} guías generadas + la demo; {len(QUERY_MIX)} búsquedas ciudadanas (errores de letra, "
        f"plurales, palabras de relleno) y {len(SUGGEST_MIX)} prefijos de sugerencia, {args.repeat} repeticiones "
        "intercaladas tras un calentamiento. «Portal» es `search.selectors.search` completo (corrección contra el "
        "vocabulario —en caché—, una consulta SQL con los candidatos de todos los tipos y sus documentos, la de "
        "promociones, ranking y fragmentos resaltados) o "
        "`search.selectors.suggest`; «SQL» es la consulta de texto completo desnuda sobre el mismo índice en la "
        "misma ejecución (SQLite: FTS5 `MATCH` + `bm25`; PostgreSQL: `@@ to_tsquery('ayni_spanish')` + `ts_rank`), "
        "10 filas. ×p50/×p95 = portal ÷ SQL.",
        "",
        pages.markdown_table(headers, rows),
        "",
        *notes,
        f"- Máquina: {pages.machine_info()}; {time.strftime('%Y-%m-%d')}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", default="", help="URL of a PostgreSQL server (default: DATABASE_URL)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not touch bench/results.md")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--reuse", default="", help="directory that keeps the generated guides between runs")
    parser.add_argument("--reused", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return
    pages = _pages_module()
    results = [] if args.no_sqlite else [("SQLite", run_child("SQLite embebida", None, args))]
    postgres_url = args.postgres or os.environ.get("DATABASE_URL", "")
    if not args.no_postgres and postgres_url.split(":", 1)[0] in pages.POSTGRES_SCHEMES:
        results.append(("PostgreSQL", _postgres_run(pages, postgres_url, args)))
    section = render_section(results, pages, args)
    print(section)
    if not args.no_write:
        pages.update_results_file(RESULTS_PATH, section, title=SECTION_TITLE)
        say(f"sección escrita en {RESULTS_PATH}")


if __name__ == "__main__":
    main()
