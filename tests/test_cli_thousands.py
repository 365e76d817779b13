"""emdesk-fit says when a thousands separator was a guess (10.691 in a decimal-comma file read as 10691)."""

from tests.cli_run import run_in_process


def test_cli_notes_a_guessed_thousands_separator(tmp_path):
    p = tmp_path / "orte.csv"
    p.write_text("Einwohner;Fläche\n" + "".join(f"{i + 10}.{i * 37 % 1000:03d};{i % 5},5\n" for i in range(20)),
                 encoding="utf-8")
    r = run_in_process(p, "-k", "1", "--n-init", "1", "--columns", "Einwohner")
    assert r.returncode == 0, r.stderr
    assert "note: Column 'Einwohner' holds numbers such as '10.000', read as 10000" in r.stderr
