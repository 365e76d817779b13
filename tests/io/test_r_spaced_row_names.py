"""R's write.table(quote = FALSE) of numbers formatted with big.mark = " " (or small.mark): a row name, then a
number whose digits spaces group (`v` / `1 11 244`). Split by spaces the lines have more fields than the header
has names plus one, and no option reads them: the messages said "Is there a space inside a value? Join or
remove it." (load_table, emdesk-fit) and the import dialog offered "skip 1 line at the top", the header, which
would read 1, 11 and 244 as three columns. Now they say what the file is and how R writes a readable one."""

from __future__ import annotations

import pytest

from emdesk.io import DataError, load_table
from emdesk.io.import_options import preview

R_OUTPUT = {  # R 4's write.table(d, quote = FALSE) of format(..., big.mark / small.mark = " "), padding kept
    "big.txt": "v\n1 11 244\n2 12 479\n3 13 613\n4  9 870\n",
    "fractions.txt": "a\n1 3.140 882\n2 3.143 562\n3 2.718 281\n",
    "two.txt": "x y\n1 12 345 0.5\n2  7 890 1.5\n3  1 234 2\n",
}


@pytest.mark.parametrize("name", sorted(R_OUTPUT))
def test_the_message_says_what_the_file_is(tmp_path, name):
    path = tmp_path / name
    path.write_text(R_OUTPUT[name])
    with pytest.raises(DataError) as err:
        load_table(path)
    assert "R's write.table(quote = FALSE)" in str(err.value) and "quote = TRUE" in str(err.value)
    assert "Join or remove" not in str(err.value)
    p = preview(path)
    assert p.table is None and "R's write.table(quote = FALSE)" in p.error
    assert p.suggested is None and not any("title" in u for u in p.unsure)  # not "skip 1 line at the top"


def test_what_reads_is_not_touched(tmp_path):
    # R's row names over plain numbers, and one column of grouped numbers, still read
    path = tmp_path / "plain.txt"
    path.write_text("v\n1 345\n2 890\n3 120\n")
    assert load_table(path).to_array(["v"])[:, 0].tolist() == [345, 890, 120]
    path.write_text("v\n11 244\n12 479\n11 613\n")
    assert load_table(path).to_array(["v"])[:, 0].tolist() == [11244, 12479, 11613]
