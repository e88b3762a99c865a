"""The one CSV reader: the encodings and delimiters spreadsheets write, normalised headers, one-line errors."""

from __future__ import annotations

import pytest

from vatp_core.batch import read_labels
from vatp_core.csv_reader import CSVError, normalise_header, read_csv
from vatp_core.datasets import DatasetError
from vatp_core.datasets.generic import read_labels_csv


def test_utf8_with_and_without_bom_and_cp1252_read_the_same(tmp_path):
    text = "File, True Score\nsaut_élan.mp4,6.5\n"
    variants = {
        "plain": text.encode("utf-8"),
        "bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "excel": text.encode("cp1252"),
        "utf16": text.encode("utf-16"),
    }
    for name, data in variants.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        table = read_csv(path)
        assert table.columns == ["file", "true_score"], name
        assert [(r.text("file"), r.number("true_score")) for r in table.rows] == [("saut_élan.mp4", 6.5)], name


def test_semicolon_files_with_decimal_commas(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("file;score;difficulty\r\na.mp4;6,5;3\r\n\r\n;;\r\n", encoding="cp1252")
    assert read_labels(path)["a.mp4"].score == 6.5
    assert len(read_csv(path).rows) == 1  # blank and empty rows are skipped


def test_errors_name_file_and_line(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("file,score\na.mp4,1\n\nb.mp4,nan\n")
    with pytest.raises(CSVError, match=r"labels.csv:4: score 'nan' is not a finite number"):
        read_csv(path).rows[1].number("score")
    path.write_text("file,score\na.mp4,inf\n")
    with pytest.raises(DatasetError, match=r"labels.csv:2: score 'inf' is not a finite number"):
        read_labels_csv(path)
    path.write_text("file,score\na.mp4,\n")
    with pytest.raises(CSVError, match=r"labels.csv:2: score is empty"):
        read_labels(path)
    path.write_text("file,score\na.mp4,1,extra\n")
    with pytest.raises(CSVError, match=r"labels.csv:2: 3 fields but the header has 2"):
        read_csv(path)
    path.write_text("file,File\n")
    with pytest.raises(CSVError, match="'file' twice"):
        read_csv(path)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(CSVError, match="not a text file"):
        read_csv(path)
    with pytest.raises(CSVError, match="Labels file not found"):
        read_labels(tmp_path / "missing.csv")
    for exc in (CSVError, DatasetError):
        assert "\n" not in str(exc("x"))


def test_empty_file_is_a_table_without_columns(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("\n")
    table = read_csv(path)
    assert table.header == [] and table.rows == []
    with pytest.raises(CSVError, match="needs a 'file' column"):
        table.require("file")


def test_header_normalisation():
    assert normalise_header("\ufeff True-Score ") == "true_score"
    assert normalise_header("Final  Score") == "final_score"
