"""emdesk.io: reading CSV files and writing fits, with no Qt (see docs/INTERFACES.md).

``load_table`` reads a CSV file into a ``Table``; ``save_fit``/``load_fit`` write and read the versioned
JSON fit file; ``save_parameters_csv``, ``save_assignments_csv`` and ``save_imputed_csv`` export CSV files
for spreadsheets. Every problem with a file raises ``DataError`` (a ``ValueError``).
The engine is imported only when a function needs it (``load_fit`` and the CSV exports).
"""

from .fitfile import (FORMAT_NAME, FORMAT_VERSION, load_fit, save_assignments_csv, save_fit,
                      save_imputed_csv, save_parameters_csv, write_selection_csv)
from .table import MISSING_TOKENS, DataError, LoadCancelled, Table, load_table

__all__ = ["DataError", "FORMAT_NAME", "FORMAT_VERSION", "LoadCancelled", "MISSING_TOKENS", "Table",
           "load_fit", "load_table", "save_assignments_csv", "save_fit", "save_imputed_csv",
           "save_parameters_csv", "write_selection_csv"]
