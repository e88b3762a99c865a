"""`vatp library list|import|export|export-athlete|delete-athlete|check`."""

from __future__ import annotations

import csv
import json
import re

from vatp_core.cli import main
from vatp_core.library.synthetic import synthetic_result


def sidecars(folder, n=6):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        synthetic_result(i, athlete="A. Diver" if i % 2 else "B. Springer").save_sidecar(folder / f"v{i}.mp4")
    return folder


def test_import_list_export_in_the_default_library(tmp_path, capsys, vatp_home):
    folder = sidecars(tmp_path / "club")
    assert main(["library", "import", str(folder)]) == 0
    assert "6 attempt(s) added, 0 already in the library" in capsys.readouterr().out
    assert (vatp_home / "data" / "library.sqlite3").is_file()
    assert main(["library", "import", str(folder)]) == 0
    assert "0 attempt(s) added, 6 already" in capsys.readouterr().out

    assert main(["library", "list", "--athlete", "A. Diver", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["attempts"]
    assert len(rows) == 3 and {r["athlete"] for r in rows} == {"A. Diver"}
    assert main(["library", "list"]) == 0
    out = capsys.readouterr().out
    assert "6 attempt(s)" in out and "B. Springer" in out
    lines = [line for line in out.splitlines() if ".mp4" in line]
    assert len(lines) == 6 and "±" not in out  # each score with its interval, or 'uncalibrated', never ± σ
    assert all(re.search(r"\d\.\d\d \[(uncalibrated|\d+\.\d–\d+\.\d)\]", line) for line in lines)

    assert main(["library", "export", str(tmp_path / "all.csv"), "--tag", "training"]) == 0
    with open(tmp_path / "all.csv", newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert exported and all(r["tags"] == "training" for r in exported)


def test_athlete_export_and_delete(tmp_path, capsys):
    db = tmp_path / "lib.sqlite3"
    assert main(["library", "import", str(sidecars(tmp_path / "club")), "--db", str(db)]) == 0
    assert main(["library", "export-athlete", "A. Diver", str(tmp_path / "a.json"), "--db", str(db)]) == 0
    assert len(json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["attempts"]) == 3
    assert main(["library", "delete-athlete", "A. Diver", "--db", str(db)]) == 1  # asks for --yes first
    assert main(["library", "delete-athlete", "A. Diver", "--yes", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["library", "list", "--json", "--db", str(db)]) == 0
    assert {r["athlete"] for r in json.loads(capsys.readouterr().out)["attempts"]} == {"B. Springer"}
    assert main(["library", "check", "--db", str(db)]) == 0


def test_damaged_library_is_one_line_and_untouched(tmp_path, capsys):
    db = tmp_path / "lib.sqlite3"
    db.write_bytes(b"x" * 200)
    assert main(["library", "list", "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "damaged" in err and "Traceback" not in err
    assert db.read_bytes() == b"x" * 200
    assert main(["library", "import", str(tmp_path / "missing"), "--db", str(tmp_path / "new.sqlite3")]) == 2
    assert "does not exist" in capsys.readouterr().err
