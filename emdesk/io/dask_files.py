"""Data files read with Dask for fits beyond one machine (``emdesk-fit --dask``, the ``dask`` extra):
Parquet or CSV files (paths or glob patterns) as a dask DataFrame, the scheduler to run on, and a fit of
such files. The fit itself (per-chunk statistics reduced by Dask) is :mod:`emdesk.engine._dask`. Dask is
imported only when these functions run."""

from __future__ import annotations

#: Seconds a ``distributed.Client`` waits for a scheduler address to answer before giving up.
CONNECT_TIMEOUT_S = 20


class SchedulerError(ValueError):
    """The scheduler cannot be used: an unknown name, an address that does not answer (within
    :data:`CONNECT_TIMEOUT_S`) or does not answer as a Dask scheduler, a missing scheduler file."""


def open_scheduler(scheduler):
    """A context manager running Dask computations on ``scheduler``:

    * ``"threads"`` / ``"synchronous"`` / ``"processes"``: Dask's local schedulers;
    * ``"local"`` or ``"local:N"``: a ``distributed.LocalCluster`` of N worker processes (default 2),
      closed afterwards;
    * ``"tcp://host:port"`` (any address a ``distributed.Client`` accepts, or a path to a
      scheduler file ending in ``.json``): an existing cluster.  An address that does not answer
      within :data:`CONNECT_TIMEOUT_S` seconds, or answers but not as a Dask scheduler, and a
      scheduler file that does not exist (``distributed`` would wait for it for ever) raise
      :class:`SchedulerError` (a ValueError).
    """
    import contextlib
    import os

    import dask

    if not isinstance(scheduler, str) or not scheduler:
        raise SchedulerError(f"scheduler must be a name or an address; got {scheduler!r}.")
    if scheduler in ("threads", "synchronous", "processes", "sync", "single-threaded"):
        return dask.config.set(scheduler=scheduler)

    @contextlib.contextmanager
    def distributed_client():
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise SchedulerError(
                f"scheduler {scheduler!r} needs dask.distributed: pip install 'emdesk[dask]'.") from None
        if scheduler == "local" or scheduler.startswith("local:"):
            n = 2
            if scheduler.startswith("local:"):
                try:
                    n = int(scheduler.split(":", 1)[1])
                except ValueError:
                    n = 0
                if n < 1:
                    raise SchedulerError(f"'local:N' needs a number of workers N >= 1; got {scheduler!r}.")
            with LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=":0") as cluster, \
                    Client(cluster) as client:
                yield client
        else:
            if scheduler.endswith(".json"):
                if not os.path.isfile(scheduler):
                    raise SchedulerError(f"the Dask scheduler file {scheduler!r} does not exist: start the "
                                         "scheduler with --scheduler-file, or give its address (tcp://host:8786).")
                kw = {"scheduler_file": scheduler}
            else:
                kw = {"address": scheduler}
            try:
                client = Client(**kw, timeout=f"{CONNECT_TIMEOUT_S}s")
            except (OSError, TimeoutError) as exc:
                raise SchedulerError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
            except Exception as exc:  # noqa: BLE001  something answered, not as a scheduler (seen: MemoryError)
                raise SchedulerError(f"cannot connect to the Dask scheduler {scheduler!r}: what answered there "
                                     f"is not a Dask scheduler ({type(exc).__name__}: {exc})") from None
            with client:
                yield client

    return distributed_client()


#: Bytes of a CSV file's start read to find its encoding, delimiter and decimal mark.
SNIFF_BYTES = 65536
#: Bytes of a CSV file per Dask block (``blocksize`` of ``dask.dataframe.read_csv``); None: Dask's default.
BLOCK_BYTES = None


def csv_marks(head: bytes, encoding=None, thousands=None, guesses=None):
    """The pandas options (``sep``, ``decimal``, ``skiprows``, and ``header``/``names`` for a file whose
    column names are in its last comment line) that read a CSV file as the in-memory reader reads it
    (:mod:`emdesk.io.table_text`: comma, semicolon, tab, bar or runs of spaces; a decimal comma; leading
    ``#`` comment lines skipped, np.savetxt's ``# a,b`` header), found from its first bytes.  Dask read
    every file with ``sep=","``: a semicolon file with decimal commas ("x;y", "1,72;1,58") was split at
    its decimal commas and fitted as one column of nonsense, silently; a comment line was a tokenizing
    error.  The encoding is the in-memory reader's (UTF-8, a BOM too, else Windows-1252, else Latin-1),
    found from these bytes, or ``encoding``; ``encoding`` is in the options when it is not UTF-8.
    Columns of numbers grouped by a thousands separator get ``converters`` (see
    :func:`_thousands_converters`; ``thousands`` as ``ImportOptions.thousands``: None detects); a dict
    ``guesses`` gets ``column name -> (example, separator, decimal mark)`` for the guesses among them."""
    import codecs
    import csv
    import io

    from . import table_text as T

    # the in-memory reader's encoding: UTF-8 (a BOM too), else Windows-1252, else Latin-1 (one byte a
    # character: every Dask block decodes alone); a late non-UTF-8 byte: see explain_encoding
    body = head[len(codecs.BOM_UTF8):] if head.startswith(codecs.BOM_UTF8) else head
    encoding = encoding or T._pick_encoding(body, complete=len(head) < SNIFF_BYTES)
    cut = len(head) >= SNIFF_BYTES  # (a part of the file: its last line may be cut)
    cr_only = b"\r" in head and b"\n" not in head  # classic Mac line ends, read as the in-memory reader does
    head = head.replace(b"\r", b"\n") if cr_only else head.replace(b"\r\n", b"\n")
    if cut and b"\n" in head:
        head = head[:head.rfind(b"\n") + 1]  # whole lines only
    pos, last = T._comment_preamble(head, len(head))
    lines = T._first_lines(head[pos:].decode(encoding, errors="replace"), 100)
    delimiter = T._sniff_delimiter(lines)
    if delimiter in (",", " ") and T._one_column_of_decimal_commas(lines):
        delimiter = ";"  # not in the file: each line is one field, and "1,5" reads as 1.5

    def split(text):
        if delimiter == " ":
            return [row for row in map(T._split_spaces, text.split("\n")) if row]
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row and not T._is_blank(row)]

    rows = split(lines)
    decimal, _ = T._sniff_decimal(rows, delimiter)
    out = {"sep": r"\s+" if delimiter == " " else delimiter, "decimal": decimal, "skiprows": head[:pos].count(b"\n")}
    if cr_only:  # (pandas's C reader and Dask's blocks end lines at "\n" only: "new-line character seen")
        out["lineterminator"] = "\r"
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        out["encoding"] = encoding
    header = bool(rows) and T._detect_header(rows, decimal)
    every = split(head[pos:].decode(encoding, errors="replace"))  # every sniffed line, not only the first 100
    found = {}
    grouped = _thousands_converters(every[1:] if header else every, decimal, delimiter, thousands, found)
    if grouped:
        out["converters"] = grouped
    if rows and last and not header:
        names = (split(last.decode(encoding, errors="replace")) or [[]])[0]
        if len(names) == len(rows[0]):  # np.savetxt(..., header="a,b"): the names in the comment line
            out.update(header=None, names=[n.strip() for n in names])
    if guesses is not None and found:
        names = out.get("names") or [c.strip() for c in every[0]]
        guesses.update({names[j]: (example, sep, decimal) for j, (example, sep) in found.items() if j < len(names)})
    return out


def _thousands_converters(rows, decimal, delimiter, option=None, guesses=None):
    """``{column index: converter}`` for the columns whose cells in ``rows`` (the sniffed data rows) hold
    a thousands separator as the in-memory reader finds it (:func:`emdesk.io.thousands.detect`: ``1,234``
    in quotes, ``1.234,5``, ``1 234``, ``1'234``); every block's cells of such a column are read by
    :func:`grouped_number`.  Pandas's own ``thousands=`` takes one character and checks no grouping.
    ``option`` (``ImportOptions.thousands``, emdesk-fit's ``--thousands``): None detects, ``""`` reads no
    separator, ``"."``, ``","``, ``" "`` or ``"'"`` that one in every column whose sniffed cells are
    numbers with it or without it (a column of text stays text; later blocks may hold it first).  A dict
    ``guesses`` gets ``column index -> (example, separator)`` for the ambiguous ones (``10.691``)."""
    import functools

    from . import thousands
    from .table_text import _MISSING_AS_NAN

    out = {}
    for j in range(max(map(len, rows), default=0) if option != "" else 0):
        cells = [r[j] for r in rows if j < len(r)]
        if option is None:
            sep, example = thousands.detect(cells, decimal, delimiter)
            if sep and example is not None and guesses is not None:
                guesses[j] = (example, sep)
        else:
            values, _, _ = thousands.read_column(cells, decimal, delimiter, option)  # (a column of numbers?)
            sep = option if values is not None and option != decimal else None  # (its later blocks may hold it)
        if sep:
            out[j] = functools.partial(grouped_number, chars=thousands._CHARS[sep],
                                       grouped=thousands.GROUPED[sep, decimal], table=thousands._REMOVE[sep],
                                       comma=decimal == ",", missing=_MISSING_AS_NAN)
    return out


def grouped_number(cell, chars, grouped, table, comma, missing):
    """One cell of a column of numbers grouped by a thousands separator as float, read as the in-memory
    reader reads it (:func:`emdesk.io.thousands.read_column` on the column: a cell holding one of the
    separator's ``chars`` must match the pattern ``grouped`` (numbers grouped in threes; ``table`` takes
    the separator out), a decimal ``comma`` is read as a point, a token of ``missing`` is NaN);
    ValueError ("could not convert string to float", said by :func:`explain_text_in_numbers`) for a
    cell that is not a number.  Module level, everything in its arguments: Dask workers unpickle it,
    and it runs per cell: 2e5 rows x 2 grouped in 0.9 s on one core (read_column on one cell at a time:
    3.7-4.7 s; the in-memory reader 0.6 s; the same numbers without separators 0.05 s)."""
    s = cell.strip()
    if any(c in s for c in chars):
        if grouped.fullmatch(s) is None:
            raise ValueError(f"could not convert string to float: {cell!r}")
        s = s.translate(table)
    if "_" in s:  # float() reads "1_2" as 12; in a CSV file it is text
        raise ValueError(f"could not convert string to float: {cell!r}")
    if comma:
        s = s.replace(",", ".")
    try:
        return float(missing.get(s, s))
    except ValueError:
        raise ValueError(f"could not convert string to float: {cell!r}") from None


def _file_columns(opened, parquet, encoding=None, thousands=None):
    """``(column names, has rows, CSV marks)`` of one file, from its header (CSV: the header and at
    most one row, with :func:`csv_marks`) or its metadata (Parquet; marks None); ``(None, False,
    None)`` for an empty CSV file (no header either)."""
    import pandas as pd

    from .table_text import _unique_names

    with opened as fh:
        if parquet:
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(fh)
            return [str(c) for c in meta.schema_arrow.names if not str(c).startswith("__index_level_")], \
                meta.metadata.num_rows > 0, None
        first = fh.read(SNIFF_BYTES)
        _refuse_non_text(first, opened.path)
        marks = csv_marks(first, encoding, thousands)
        fh.seek(0)
        try:
            head = pd.read_csv(fh, nrows=1, **marks)
        except pd.errors.EmptyDataError:
            return None, False, None
        if "converters" in marks:  # by name: with usecols, pandas's column numbers would not be the file's
            marks["converters"] = {head.columns[j]: f for j, f in marks["converters"].items() if j < head.shape[1]}
        cols = [str(c) for c in head.columns]
        raw = None if "names" in marks else _header(first, marks)
        if raw is not None and len(raw) == len(cols):
            # the in-memory reader's names (table_text._unique_names): stripped ('x, y' is x and y; pandas's
            # ' y' was "no column 'y': ... has x, y"), an empty one colN (not 'Unnamed: 0'), a repeated one x_2
            names = _unique_names(raw)
            if names != cols:
                marks["converters"] = {names[cols.index(c)]: f for c, f in marks.get("converters", {}).items()}
                marks.update(header=0, names=names)
                cols = names
        if len(cols) >= 2 and raw is not None and not raw[0].strip() and _row_labels(first, marks):
            # the rows' labels, as the in-memory reader takes them (table_text._row_label_column): pandas's
            # to_csv index or R's write.csv row names under an empty name; Dask fitted them as 'Unnamed: 0'
            marks.get("converters", {}).pop(cols[0], None)
            marks["usecols"] = cols = cols[1:]
        if not marks.get("converters", True):
            del marks["converters"]
        return cols, len(head) > 0, marks


def _header(first: bytes, marks):
    """The header's fields of a CSV file as written (pandas's own names strip nothing, and name an empty
    field 'Unnamed: 0' and a repeated one 'x.1'), or None."""
    try:
        return [str(c) for c in _sniffed(first, marks, header=None, nrows=1).iloc[0]]
    except Exception:  # (a file pandas cannot read here fails where it is read, with its own message)
        return None


def _sniffed(first: bytes, marks, **kw):
    """The whole lines of a CSV file's first bytes ``first`` read by pandas with ``marks`` (less the
    converters) as text cells."""
    import io

    import pandas as pd

    if len(first) >= SNIFF_BYTES:
        first = first[:first.rfind(b"\r" if "lineterminator" in marks else b"\n") + 1]
    marks = {k: v for k, v in marks.items() if k not in ("converters", "usecols")}
    return pd.read_csv(io.BytesIO(first), dtype=str, keep_default_na=False, **marks, **kw)


def _row_labels(first: bytes, marks) -> bool:
    """Whether a CSV file's first column, under an empty name, labels its rows as the in-memory reader
    finds it: its cells (in the first bytes) present and distinct."""
    from .table import MISSING_TOKENS

    try:
        cells = _sniffed(first, marks).iloc[:, 0].str.strip()
    except Exception:  # (a file pandas cannot read here fails where it is read, with its own message)
        return False
    return not cells.isin(MISSING_TOKENS).any() and cells.is_unique


def _refuse_non_text(head: bytes, name: str) -> None:
    """ValueError naming the file, in the in-memory reader's words (:mod:`emdesk.io.table_reader`), when
    its first bytes are UTF-16 text, an archive, an image, a workbook or other binary data: Dask read a
    UTF-16 file as columns named 'ÿþx\\x00' of text, a renamed .xlsx as a column of ZIP bytes, a NUL byte
    as text in a column, and a gzip file as 'no rows'."""
    import codecs

    from .table_text import _looks_binary

    name = name.rsplit("/", 1)[-1] or name
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError(f"{name}: the file is saved as UTF-16 text. Save it as CSV (UTF-8) and open it again.")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    what = _looks_binary(head)
    if what:
        raise ValueError(f"{name}: this is not a text CSV file; it looks like {what}. "
                         "Export the data as CSV (comma- or semicolon-separated text) first.")


def _describe(name, cols):
    return f"{name} has {', '.join(cols) if cols else 'no column'}"


def read_files(paths, columns=None, encoding=None, thousands=None):
    """A dask DataFrame of Parquet files or CSV files (paths or glob patterns; one format).

    Every file's header (CSV) or schema (Parquet) is read first: files without rows (a header
    only, or empty) are left out; every file must have ``columns`` (any order, other columns
    left out) or, without ``columns``, the same columns in the same order (ValueError naming
    the first file that differs; Dask would otherwise read every CSV file with the first one's
    header, so a file with other or reordered columns would be fitted under the wrong names).
    CSV files are read in the encoding found from their first 64 KB as the in-memory reader finds it
    (UTF-8, else Windows-1252, else Latin-1), or in ``encoding`` (e.g. ``"cp1252"``) for every file; a
    file that is UTF-8 at its start only is an error naming it (:func:`explain_encoding`).  Numbers
    grouped by thousands separators are read as the in-memory reader reads them (``thousands``: None
    detects them in each file's first 64 KB, ``""`` none, or ``"."``, ``","``, ``" "``, ``"'"``)."""
    import dask.dataframe as dd
    import fsspec

    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        paths = [paths]
    paths = [str(p) for p in paths]
    if not paths:
        raise ValueError("No data files given.")
    exts = {p.lower().rsplit(".", 1)[-1] if "." in p else "" for p in paths}
    parquet = exts <= {"parquet", "pq"}
    if not parquet and not exts <= {"csv", "txt", "tsv"}:
        raise ValueError(
            f"Dask fits read Parquet (.parquet) or CSV (.csv) files, all of one kind; got {', '.join(paths)}.")
    files, names, headers, marks, n_empty = [], [], [], [], 0
    for p in paths:
        opened = fsspec.open_files(p, mode="rb")  # a glob pattern expands to its files, in sorted order
        if not opened:
            raise ValueError(f"No file matches {p!r}.")
        for of in opened:
            cols, has_rows, how = _file_columns(of, parquet, encoding, thousands)
            if not has_rows:
                n_empty += 1
                continue
            files.append(of.fs.unstrip_protocol(of.path))
            names.append(of.path)  # as the user wrote it, without "file://"
            headers.append(cols)
            marks.append(how)
    if not files:
        raise ValueError(f"The data files have no rows ({n_empty} file{'s' if n_empty != 1 else ''} with a "
                         "header only, or empty).")
    if columns:
        columns = [str(c) for c in columns]
        for f, cols in zip(names, headers):
            unknown = [c for c in columns if c not in cols]
            if unknown:
                raise ValueError(f"The data files have no column {unknown[0]!r}: {_describe(f, cols)}.")
    else:
        for f, cols in zip(names, headers):
            if cols != headers[0]:
                raise ValueError(
                    f"The data files have different columns: {_describe(names[0], headers[0])}; "
                    f"{_describe(f, cols)}. Name the columns to fit, which every file must have "
                    "(--columns, or columns=).")
    from ..engine._dask import numeric_columns
    from .table import MISSING_TOKENS

    if parquet:
        df = dd.read_parquet(files, columns=columns) if columns else dd.read_parquet(files)
    else:
        # The columns fitted are read as numbers (float64) in every block: Dask infers the types from the
        # first block, and a cell of text further on failed with its "Mismatched dtypes" table (see
        # explain_text_in_numbers); a chosen column of text was left out and the fit had one column fewer.
        # the in-memory reader's missing-value tokens ("?", "-", "na" too; pandas's own list differs)
        missing = dict(assume_missing=True, keep_default_na=False, na_values=sorted(MISSING_TOKENS))
        if not columns:
            guess = dd.read_csv(files[0], **marks[0], **missing)
            numbers = [c for c in numeric_columns(guess).columns if guess[c].dtype.kind != "b"]
        kw = dict(missing, **({} if BLOCK_BYTES is None else {"blocksize": BLOCK_BYTES}))

        def floats(m):  # (a column of grouped numbers is read by its converter, as float)
            return {"dtype": {c: "float64" for c in (columns or numbers) if c not in m.get("converters", ())}}
        try:  # (Dask reads the first block now, for the types)
            if all(cols == headers[0] for cols in headers) and all(m == marks[0] for m in marks):
                df = dd.read_csv(files, **marks[0], **kw, **floats(marks[0]))
                # the columns are selected afterwards (Dask pushes the selection down into the reader)
            else:  # other columns, order or marks in some files: each file read with its own header and marks
                take = columns or headers[0]  # (without columns, every file has the same)
                df = dd.concat([dd.read_csv(f, **dict(m, usecols=take), **kw, **floats(m))[take]
                                for f, m in zip(files, marks)])
        except ValueError as exc:
            raise explain_text_in_numbers(exc, paths, encoding, thousands) from None
    if columns:
        df = df[columns]
        numeric = {str(c) for c in numeric_columns(df).columns}
        for c in columns:
            if c not in numeric:
                raise ValueError(f"Column {c!r} of the data files holds {df[c].dtype} values, not numbers: "
                                 "leave it out of the columns to fit.")
    return df


def thousands_notes(paths, encoding=None):
    """emdesk-fit's notes (:func:`emdesk.io.thousands.note`, ``cli``) on the columns of CSV ``paths`` whose
    thousands separator is a guess (``10.691`` in a decimal-comma file: read as 10691), one per column,
    found again from each file's first bytes as :func:`read_files` finds them."""
    import fsspec

    from . import thousands as TH

    found = {}
    for p in [paths] if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__") else paths:
        if str(p).lower().rsplit(".", 1)[-1] in ("parquet", "pq"):
            continue
        for of in fsspec.open_files(str(p), mode="rb"):
            with of as fh:
                guesses = {}
                csv_marks(fh.read(SNIFF_BYTES), encoding, None, guesses)
            for column, guess in guesses.items():
                found.setdefault(column, guess)
    return [TH.note(column, example, sep, decimal, cli=True) for column, (example, sep, decimal) in found.items()]


def explain_encoding(exc, paths):
    """A UnicodeDecodeError raised while Dask read CSV blocks, said for a user: the first of ``paths``
    (paths or glob patterns) that is not UTF-8 beyond its first 64 KB, from which its encoding was found
    (each Dask block is decoded alone, so the in-memory reader's switch to Windows-1252 cannot be made
    later), named with where and the encoding option; ``exc`` itself when no file fails."""
    import codecs

    import fsspec

    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        paths = [paths]
    for p in paths:
        for of in fsspec.open_files(str(p), mode="rb"):
            with of as fh:
                head = fh.read(SNIFF_BYTES)
                if "encoding" in csv_marks(head):
                    continue  # read as Windows-1252 or Latin-1: every byte decodes
                decoder, offset, piece = codecs.getincrementaldecoder("utf-8")(), 0, head
                while piece:
                    pending = len(decoder.getstate()[0])  # bytes of a character cut at the previous piece's end
                    try:
                        decoder.decode(piece)
                    except UnicodeDecodeError as bad:
                        at = offset - pending + bad.start
                        return ValueError(
                            f"The data file {of.path} is UTF-8 in its first {SNIFF_BYTES // 1024} KB but not at "
                            f"byte {at:,} (0x{bad.object[bad.start]:02x}): Dask decodes each block of a file "
                            "alone, in the "
                            "encoding found at its start. Give its encoding (encoding='cp1252' of read_files "
                            "or fit_dask_files, emdesk-fit --encoding cp1252), or save the file as UTF-8.")
                    offset += len(piece)
                    piece = fh.read(1 << 20)
    return exc


def _where_text(paths, cell, encoding=None):
    """``(file name, column)`` of the first CSV file among ``paths`` whose first bytes hold ``cell`` (a
    cell's text, stripped) in a column, or None."""
    import fsspec
    import pandas as pd

    for p in [paths] if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__") else paths:
        for of in fsspec.open_files(str(p), mode="rb"):
            with of as fh:
                head = fh.read(SNIFF_BYTES)
            try:
                frame = _sniffed(head, csv_marks(head, encoding))
            except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
                continue
            for c in frame.columns:
                if (frame[c].str.strip() == cell).any():
                    return of.path.rsplit("/", 1)[-1], str(c)
    return None


def explain_text_in_numbers(exc, paths=None, encoding=None, thousands=None):
    """A ValueError raised while Dask read CSV blocks, said for a user: a cell of text in a column
    read as numbers (pandas: "could not convert string to float: 'oops'"; Dask's "Mismatched dtypes"
    table), or ``exc`` itself.  With the data files' ``paths``, a cell found in a file's first 64 KB
    is said as the in-memory reader says it, naming its column and file ("Column 'x' of a.csv holds
    text (e.g. '12%'), not numbers"); Dask's error names neither.  ``thousands``: the separator given
    (as for :func:`read_files`; None: found per file)."""
    import re

    msg = str(exc)
    if "could not convert string to float" not in msg and "Mismatched dtypes" not in msg:
        return exc
    found = re.search(r"could not convert string to float: ('[^']*'|\"[^\"]*\")", msg)
    what = f"the text {found.group(1)}" if found else "text"
    from .thousands import could_be_grouped

    where = _where_text(paths, found.group(1)[1:-1].strip(), encoding) if found and paths is not None else None
    if where and not any(could_be_grouped(found.group(1)[1:-1], d) for d in ".,"):
        return ValueError(f"Column {where[1]!r} of {where[0]} holds text (e.g. {found.group(1)}), not numbers: "
                          "correct or remove it (leave a missing value empty), or leave the column out of the "
                          "columns to fit.")
    if found and thousands is not None and any(could_be_grouped(found.group(1)[1:-1], d) for d in ".,"):
        # (a separator was given: "give it" was no advice; e.g. --thousands , over a file grouped 1.234,5)
        given = {"": "none", " ": "space"}.get(thousands, thousands)
        place = f"Column {where[1]!r} of {where[0]}" if where else "The data files"
        return ValueError(f"{place} holds {found.group(1)}, a number grouped otherwise than the thousands "
                          f"separator given ({given}) reads: leave it out (--thousands, thousands=) so that each "
                          "file's separator is found, or give the one every file uses.")
    if found and any(could_be_grouped(found.group(1)[1:-1], d) for d in ".,"):
        return ValueError(f"The data files hold {what} in a column fitted as numbers: a thousands separator "
                          f"first seen after a file's first {SNIFF_BYTES // 1024} KB, where it is found; give it "
                          "(--thousands, or thousands= of read_files / fit_dask_files).")
    return ValueError(f"The data files hold {what} in a column fitted as numbers: correct or remove it (leave "
                      "a missing value empty), or leave its column out of the columns to fit.")


def fit_dask_files(paths, columns=None, scheduler="threads", *, sample_rows=None, encoding=None, thousands=None,
                   **gm_params):
    """Fit a ``GaussianMixture(**gm_params)`` to ``columns`` (default: every numeric column) of
    Parquet or CSV files (paths or glob patterns) with Dask on ``scheduler`` (see
    :func:`open_scheduler`); returns the fitted model (``feature_names_in_`` = the columns).

    Raises ValueError for unreadable files, files with different columns (see :func:`read_files`),
    unknown columns, an unreachable scheduler (:class:`SchedulerError`), or any of the fit's own
    errors.
    """
    from ..engine import GaussianMixture
    from ..engine._dask import fit_iter, numeric_columns

    est = GaussianMixture(**gm_params)
    with open_scheduler(scheduler):
        try:
            df = read_files(paths, columns, encoding, thousands)
        except (FileNotFoundError, OSError) as exc:
            raise ValueError(f"cannot read the data files: {exc}") from None
        except UnicodeDecodeError as exc:
            raise explain_encoding(exc, paths) from None
        if not columns:  # every numeric column, as emdesk-fit takes them (text columns left out)
            df = numeric_columns(df)
            if not len(df.columns):
                raise ValueError("The data files have no numeric column to fit.")
        try:
            for _ in fit_iter(est, df, sample_rows=sample_rows):
                pass
        except UnicodeDecodeError as exc:
            raise explain_encoding(exc, paths) from None
        except ValueError as exc:
            raise explain_text_in_numbers(exc, paths, encoding, thousands) from None
    return est
