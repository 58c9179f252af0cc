"""Reading an import file: every mistake named by line and field, nothing echoed."""

from pathlib import Path

from chalicelib.domain.imports import COLUMNS, read_file

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples"


def test_the_committed_samples_read_without_a_mistake():
    rows, errors = read_file("import.csv", (SAMPLE / "import.csv").read_text())
    assert errors == [] and len(rows) == 3
    lines, errors = read_file("import.jsonl", (SAMPLE / "import.jsonl").read_text())
    assert errors == [] and len(lines) == 2
    # The same child as CSV and as JSON Lines is the same report.
    assert rows[0].report == lines[0].report
    assert rows[0].fingerprint == lines[0].fingerprint


def test_every_mistake_is_named_by_line_and_column_and_never_echoes_the_value():
    header = ",".join(COLUMNS)
    good = (SAMPLE / "import.csv").read_text().splitlines()[1]
    cells = dict(zip(COLUMNS, good.split(","), strict=True))
    wrong = [
        cells | {"sex": "boy", "external_id": "A-2"},
        cells | {"date_of_birth": "2031-02-30", "external_id": "A-3"},
        cells | {"tracing": "perhaps", "external_id": "A-4"},
        cells | {"oblast": "UA-99", "external_id": "A-5"},
        dict(cells),  # the external id of line 2 again
    ]
    text = "\n".join([header, good] + [",".join(row[c] for c in COLUMNS) for row in wrong])
    _rows, errors = read_file("f.csv", text)
    named = [(e.line, e.field) for e in errors]
    assert named == [
        (3, "sex"),
        (4, "date_of_birth"),
        (5, "tracing"),
        (6, "oblast"),
        (7, "external_id"),
    ]
    assert all("boy" not in e.message and "perhaps" not in e.message for e in errors)


def test_unknown_and_missing_columns_are_named_before_any_row():
    rows, errors = read_file("f.csv", "family_name,nickname\nКоваль,Сашко\n")
    assert rows == []
    assert (1, "nickname") in [(e.line, e.field) for e in errors]
    assert (1, "given_name") in [(e.line, e.field) for e in errors]


def test_json_lines_name_the_field_path():
    _rows, errors = read_file("f.jsonl", '{"child": {}}\nnot json\n\n')
    assert (1, "child.family_name") in [(e.line, e.field) for e in errors]
    assert (2, "row") in [(e.line, e.field) for e in errors]
