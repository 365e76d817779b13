"""Small text files for the reading tests (thousands separators, decimal marks)."""

from emdesk.io.import_options import ImportOptions, load_with_options
from emdesk.io.table import load_table


def write(tmp_path, text, name="data.csv"):
    """``text`` written as UTF-8 to ``tmp_path / name``; returns the path as a string."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def both(path):
    """The file read by load_table and by the import-options reader (an override that changes nothing)."""
    return load_table(path), load_with_options(path, ImportOptions(encoding="utf-8"))
