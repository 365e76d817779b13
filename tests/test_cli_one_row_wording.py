"""One incomplete row is "1 row ... its", not "1 rows ... their" (newcomer test, R's write.csv output)."""

from emdesk import cli


def test_one_incomplete_row_is_singular(tmp_path, capsys):
    p = tmp_path / "r.csv"
    p.write_text('"","a","d"\n"1",1.5,2\n"2",2,3\n"3",NA,4\n"4",4,5\n"5",5,6\n"6",6,7\n"7",9,1\n')
    code = cli.main([str(p), "-k", "1", "--seed", "0", "-o", str(tmp_path / "f.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 row with missing values fitted on its observed values" in out and "1 rows" not in out
