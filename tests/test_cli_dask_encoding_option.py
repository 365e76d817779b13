"""emdesk-fit --encoding: with --dask, every CSV file's encoding (the Dask reader decodes each block alone, so a
file UTF-8 at its start only needs it); a usage error without --dask or for an unknown encoding."""

from __future__ import annotations

from tests.cli_run import run_in_process as run


def test_encoding_without_dask_and_an_unknown_encoding_are_usage_errors(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("x,y\n1.5,2\n2.5,3\n3.5,1\n")
    r = run(p, "-k", "1", "--encoding", "cp1252")
    assert r.returncode == 2 and "--encoding goes with --dask" in r.stderr, r.stderr
    r = run(p, "-k", "1", "--dask", "synchronous", "--encoding", "nope")
    assert r.returncode == 2 and "'nope' is not an encoding Python knows" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
