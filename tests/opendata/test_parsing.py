"""Upload validation: every bad file gets a clear Spanish message (pure functions, no database)."""

import json

import pytest
from django.core.exceptions import ValidationError

from opendata.parsing import infer_types, parse_upload
from tests.opendata.conftest import xlsx_bytes

MB = 1024 * 1024


def parse(filename, data, **kwargs):
    kwargs.setdefault("max_bytes", 50 * MB)
    return parse_upload(filename=filename, data=data, **kwargs)


def error_of(filename, data, **kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        parse(filename, data, **kwargs)
    return " ".join(info.value.messages)


def test_utf8_csv_with_bom_and_types():
    table = parse(
        "a.csv", "\ufeffdistrito,nombre,monto,fecha,activo\n1,Piñami,1.5,2024-01-31,true\n2,Tacata,3,,false\n".encode()
    )
    assert table.columns == ["distrito", "nombre", "monto", "fecha", "activo"]
    assert table.types == ["integer", "string", "number", "date", "boolean"]
    assert table.row_count == 2
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    assert table.rows[0][1] == "Piñami"


def test_latin1_csv_with_semicolons():
    table = parse("a.csv", "código;año;descripción\nA1;2020;Añadido\n".encode("latin-1"))
    assert table.encoding == "latin-1"
    assert table.delimiter == ";"
    assert table.columns == ["código", "año", "descripción"]
    assert table.rows == [["A1", "2020", "Añadido"]]


def test_quoted_fields_with_delimiters_and_newlines():
    table = parse("a.csv", b'nombre,nota\n"Perez, Juan","linea 1\nlinea 2"\n')
    assert table.rows == [["Perez, Juan", "linea 1\nlinea 2"]]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file(data):
    assert "vacío" in error_of("a.csv", data)


def test_header_without_rows():
    assert "no tiene datos" in error_of("a.csv", b"a,b,c\n")


def test_ragged_rows_name_the_row():
    message = error_of("a.csv", b"a,b,c\n1,2,3\n4,5\n")
    assert "La fila 3 tiene 2 columnas" in message and "3" in message


def test_utf16_is_rejected_as_wrong_encoding():
    assert "UTF-16" in error_of("a.csv", "a,b\n1,2\n".encode("utf-16"))


def test_windows_1252_smart_quotes_are_rejected_as_wrong_encoding():
    message = error_of("a.csv", b"a,b\n\x93hola\x94,2\n")
    assert "codificación" in message and "UTF-8" in message


def test_binary_file_named_csv():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256))
    assert "no es texto" in error_of("foto.csv", png)


def test_xlsm_is_rejected_for_macros():
    assert "macros" in error_of("libro.xlsm", xlsx_bytes({"Hoja1": [["a"], [1]]}))


def test_xlsx_carrying_a_vba_project_is_rejected():
    assert "macros" in error_of("libro.xlsx", xlsx_bytes({"Hoja1": [["a"], [1]]}, macro=True))


def test_xlsx_with_several_sheets_needs_a_choice():
    data = xlsx_bytes({"2023": [["a", "b"], [1, 2]], "2024": [["a", "b"], [3, 4], [5, 6]]})
    message = error_of("libro.xlsx", data)
    assert "varias hojas" in message and "2023" in message and "2024" in message
    table = parse("libro.xlsx", data, sheet="2024")
    assert table.sheet == "2024" and table.rows == [["3", "4"], ["5", "6"]]
    assert table.types == ["integer", "integer"]
    assert "no tiene la hoja" in error_of("libro.xlsx", data, sheet="2025")


def test_broken_xlsx():
    assert "XLSX válido" in error_of("libro.xlsx", b"PK\x03\x04 not really a zip")


def test_file_over_the_limit():
    data = b"a,b\n" + b"1,2\n" * 400_000
    message = error_of("a.csv", data, max_bytes=1 * MB)
    assert "máximo permitido es 1 MB" in message


def test_unsupported_extension():
    assert "Formato no admitido" in error_of("datos.pdf", b"%PDF-1.4")


def test_duplicate_and_blank_headers():
    assert "repetida" in error_of("a.csv", b"a,A\n1,2\n")
    assert "sin nombre" in error_of("a.csv", b"a,,c\n1,2,3\n")


def test_json_list_of_objects():
    data = json.dumps(
        [{"distrito": 1, "nombre": "Tacata"}, {"distrito": 2, "nombre": "Piñami", "extra": True}]
    ).encode()
    table = parse("a.json", data)
    assert table.columns == ["distrito", "nombre", "extra"]
    assert table.rows == [["1", "Tacata", ""], ["2", "Piñami", "true"]]
    assert table.types == ["integer", "string", "boolean"]


def test_json_errors():
    assert "JSON no es válido" in error_of("a.json", b"[{")
    assert "lista de objetos" in error_of("a.json", b"{}")
    assert "valor simple" in error_of("a.json", b'[{"a": {"b": 1}}]')


def test_formula_like_cells_are_accepted_as_text():
    table = parse("a.csv", b"nombre,valor\n=cmd|' /C calc'!A0,1\n")
    assert table.rows[0][0] == "=cmd|' /C calc'!A0"
    assert table.types == ["string", "integer"]


def test_infer_types_ignores_blanks_and_falls_back_to_string():
    assert infer_types(["a", "b", "c"], [["1", "x", ""], ["", "2", ""], ["-3", "", ""]]) == [
        "integer",
        "string",
        "integer",
    ]


def test_bolivian_numbers_are_detected_typed_and_stored_plain():
    """1.234,56 (thousands dot, decimal comma) becomes 1234.56; the column keeps a note of its notation."""
    table = parse(
        "a.csv",
        "distrito;monto;personas;codigo;nombre\n"
        "1;1.234,56;1.500;1.5;Tacata\n"
        "2;-12,5;2.300.000;2.25;Piñami\n"
        "3;;800;3;Santo Domingo\n".encode(),
    )
    assert table.types == ["integer", "number", "integer", "number", "string"]
    assert [row[1] for row in table.rows] == ["1234.56", "-12.5", ""]
    assert [row[2] for row in table.rows] == ["1500", "2300000", "800"]
    assert [row[3] for row in table.rows] == ["1.5", "2.25", "3"]  # plain decimals stay as they are
    described = table.described_columns()
    assert described[1] == {"name": "monto", "type": "number", "notation": "1.234,56"}
    assert described[2]["notation"] == "1.234,56" and "notation" not in described[3]
    assert described[0] == {"name": "distrito", "type": "integer"}


def test_ambiguous_thousands_need_a_spanish_csv_and_text_never_becomes_a_number():
    # 1.500 alone fits both notations: plain decimals in a comma-separated file ...
    comma = parse("a.csv", b"monto,otro\n1.500,x\n2.300,y\n")
    assert comma.types == ["number", "string"] and comma.rows[0][0] == "1.500" and not comma.notations
    # ... thousands in a semicolon-separated one (a spreadsheet set to Spanish), or with proof in the column.
    assert parse("a.csv", b"monto;otro\n1.500;x\n2.300;y\n").rows[0][0] == "1500"
    assert parse("a.csv", b'monto,otro\n1.500,x\n"2.300,5",y\n').rows[0][0] == "1500"
    mixed = parse("a.csv", b"valor;nota\n1.234,5;a\n12 cajas;b\n1,2,3;c\n")
    assert mixed.types == ["string", "string"] and mixed.rows[0][0] == "1.234,5"
    # Text cells of XLSX and JSON strings are read the same way; native numbers are untouched.
    book = parse("a.xlsx", xlsx_bytes({"datos": [["monto", "n"], ["1.234,50", 7.25], ["10,00", 3]]}))
    assert book.types == ["number", "number"] and [r[0] for r in book.rows] == ["1234.50", "10.00"]
    assert [r[1] for r in book.rows] == ["7.25", "3"]
    data = parse("a.json", json.dumps([{"monto": "2.500,75"}, {"monto": "3,1"}]).encode())
    assert data.types == ["number"] and data.described_columns()[0]["notation"] == "1.234,56"
