"""Smoke test of bench/pages.py's helpers (the benchmark itself is not run here)."""

import asyncio
import math

import pytest

from bench import pages


def test_percentile_interpolates_like_numpy_linear():
    values = [10, 1, 4, 3, 2]  # unsorted on purpose
    assert pages.percentile(values, 0) == 1
    assert pages.percentile(values, 50) == 3
    assert pages.percentile(values, 100) == 10
    assert pages.percentile(values, 95) == pytest.approx(8.8)  # 4 + 0.8 * (10 - 4)
    assert pages.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert pages.percentile([7.0], 95) == 7.0
    assert math.isnan(pages.percentile([], 50))
    with pytest.raises(ValueError):
        pages.percentile([1], 101)


def test_ratio_and_formatting():
    assert pages.ratio(50, 200) == 0.25
    assert pages.ratio(1, 0) is None
    assert pages.ratio(None, 3) is None
    assert pages.ratio(math.nan, 3) is None
    assert pages.fmt_ratio(0.25) == "0.25×"
    assert pages.fmt_ratio(0.021) == "0.021×"
    assert pages.fmt_ratio(31.4) == "31.4×"
    assert pages.fmt_ratio(None) == "—"
    assert pages.fmt_ms(0.00123) == "1.23"
    assert pages.fmt_ms(0.0456) == "45.6"
    assert pages.fmt_ms(math.nan) == "—"


def _measurement(server, kind, concurrency, latencies, seconds=2.0):
    target = pages.TARGET_STATIC if kind == "static" else pages.TARGET_GUIDE_CACHED
    return pages.Measurement(server, target, kind, concurrency, seconds, latencies=list(latencies))


def test_rows_compare_with_the_static_file_of_the_same_server_and_concurrency():
    measurements = [
        _measurement("A", "static", 10, [0.001] * 400),  # 200 req/s, p50 1 ms
        _measurement("A", "guide", 10, [0.004] * 100),  # 50 req/s, p50 4 ms
        _measurement("B", "static", 10, [0.002] * 1000),  # another server: not the reference for A
        _measurement("A", "static", 1, [0.0005] * 10),
    ]
    rows = pages.table_rows(measurements)
    header = pages.TABLE_HEADERS
    guide = dict(zip(header, rows[1], strict=True))
    assert guide["req/s"] == "50.0"
    assert guide["req/s ÷ estático"] == "0.25×"
    assert guide["p50 ÷ estático"] == "4.00×"
    assert dict(zip(header, rows[0], strict=True))["req/s ÷ estático"] == "1.00×"
    # server CPU per served request: 50 % of a core over 2 s for 100 requests = 10 ms
    measurements[1].server_cpu = 0.5
    assert measurements[1].cpu_per_request == pytest.approx(0.010)
    assert dict(zip(header, pages.table_rows(measurements)[1], strict=True))["CPU ms/pet."] == "10.0"
    assert guide["CPU ms/pet."] == "—"  # not measured
    # a guide row without a static row of its own server gets no ratio
    lone = pages.table_rows([_measurement("C", "guide", 50, [0.01])])[0]
    assert dict(zip(header, lone, strict=True))["req/s ÷ estático"] == "—"


def test_markdown_table_is_aligned_and_checks_width():
    table = pages.markdown_table(["a", "bb"], [["xxx", "y"]])
    lines = table.splitlines()
    assert lines[0] == "| a   | bb |"
    assert lines[1] == "|-----|----|"
    assert lines[2] == "| xxx | y  |"
    with pytest.raises(ValueError):
        pages.markdown_table(["a"], [["1", "2"]])


OTHER = "## Búsqueda (bench/search.py)\n\n| q | ms |\n|---|----|\n| x | 1 |\n"


def test_update_results_keeps_other_sections(tmp_path):
    results = tmp_path / "results.md"
    results.write_text(
        "# Resultados\n\nIntro.\n\n"
        + pages.SECTION_TITLE
        + "\n\nold figures\n```\n## not a heading inside a fence\n```\nmore old\n\n"
        + OTHER
    )
    pages.update_results_file(results, pages.SECTION_TITLE + "\n\nnew figures\n")
    text = results.read_text()
    assert "old figures" not in text and "more old" not in text and "not a heading" not in text
    assert text.startswith("# Resultados\n\nIntro.\n\n" + pages.SECTION_TITLE + "\n\nnew figures\n")
    assert text.endswith("\n\n" + OTHER)  # the other section is kept byte for byte
    assert text.count(pages.SECTION_TITLE) == 1

    # A second update replaces again instead of appending.
    pages.update_results_file(results, pages.SECTION_TITLE + "\n\nnewer\n")
    text = results.read_text()
    assert "new figures" not in text and "newer" in text and text.count(pages.SECTION_TITLE) == 1
    assert text.endswith(OTHER)


def test_update_results_appends_or_creates(tmp_path):
    results = tmp_path / "results.md"
    results.write_text(OTHER)
    pages.update_results_file(results, pages.SECTION_TITLE + "\n\nfigures\n")
    assert results.read_text() == OTHER + "\n" + pages.SECTION_TITLE + "\n\nfigures\n"

    fresh = tmp_path / "sub" / "new.md"
    pages.update_results_file(fresh, pages.SECTION_TITLE + "\n\nfigures\n")
    text = fresh.read_text()
    assert text.startswith("# ") and text.endswith(pages.SECTION_TITLE + "\n\nfigures\n")


def test_render_section_has_title_info_and_table():
    measurements = [
        _measurement("daphne", "static", 1, [0.001, 0.002]),
        _measurement("daphne", "guide", 1, [0.01, 0.02]),
    ]
    section = pages.render_section(measurements, {"Fecha": "hoy"}, ["nota"])
    assert section.startswith(pages.SECTION_TITLE + "\n\n- **Fecha:** hoy\n")
    assert "| daphne" in section and pages.TARGET_GUIDE_CACHED in section and "- nota" in section
    # No other level-2 heading sneaks in (it would split the section on the next update).
    assert [line for line in section.splitlines() if line.startswith("## ")] == [pages.SECTION_TITLE]


def test_read_response_handles_length_and_chunked():
    async def parse(raw: bytes):
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await pages.read_response(reader)

    status, headers, size, keep = asyncio.run(
        parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Ayni-Cache: hit\r\n\r\nhello")
    )
    assert (status, headers[b"x-ayni-cache"], size, keep) == (200, b"hit", 5, True)
    status, _, size, keep = asyncio.run(
        parse(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    )
    assert (status, size, keep) == (404, 5, True)
    status, _, size, keep = asyncio.run(parse(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody"))
    assert (status, size, keep) == (200, 4, False)
