"""Paste Data: a table copied from a spreadsheet -> :class:`~emdesk.io.table.Table` (issue 15; no Qt).

Spreadsheet programs (Excel, LibreOffice Calc, Google Sheets, Numbers) put a copied range on the clipboard
as text: one line per row, cells separated by tabs, numbers as displayed (so with decimal commas in a
European locale). :func:`table_from_clipboard_text` reads that text with the CSV reader's rules
(:func:`emdesk.io.import_options.table_from_text`): the header row is detected, decimal commas are
recognised, missing cells and tokens (``NA``, ``#N/A`` ...) become NaN. Text copied from elsewhere (CSV
lines, columns separated by spaces) is detected the same way when it holds no tab.
"""

from __future__ import annotations

from dataclasses import replace

from .import_options import ImportOptions, table_from_text
from .table import DataError, Table

__all__ = ["table_from_clipboard_text", "PASTED_NAME"]

#: How pasted data is named in messages.
PASTED_NAME = "pasted data"


def table_from_clipboard_text(text: str, options: ImportOptions | None = None) -> Table:
    """A :class:`Table` from the clipboard's text (``QClipboard.text()`` in the GUI).

    Tab-separated when the text holds a tab (what spreadsheets copy), else detected; ``options`` override
    any detection (decimal mark, header row, missing tokens ...). The Table's ``path`` is None.
    Raises DataError ("pasted data, line N: ...") when the text is empty or not a table.
    """
    if text is None or not str(text).strip():
        raise DataError(f"{PASTED_NAME}: the clipboard holds no text. Copy a range of cells in a spreadsheet "
                        f"(with its header row, if any) and paste again.")
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    options = options or ImportOptions()
    if options.delimiter is None and "\t" in text:
        options = replace(options, delimiter="\t")
    # a range copied from a spreadsheet ends with a line break; cells right of the data may be empty
    return table_from_text(text, options, name=PASTED_NAME)
