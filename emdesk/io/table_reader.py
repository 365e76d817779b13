"""Reading CSV files: :func:`load_table` -> :class:`Table`.

How a file is read
------------------
1. The first chunk (at least 64 KB) is sniffed: encoding (UTF-8, with or without BOM, else Windows-1252,
   else Latin-1), binary content, delimiter (comma, semicolon, tab, pipe or runs of whitespace), decimal
   comma (European files), header row, and which columns hold numbers.
2. The file is then read in chunks of about 2 % of its size (so ``progress`` is called about fifty times),
   each chunk cut at a record boundary (a newline outside quotes). The bytes are hashed (SHA-256) as they
   are read, so the file is read once.
3. Each chunk of a clean numeric file goes through NumPy's C parser (``np.loadtxt``, C-implemented since
   NumPy 1.23); anything that parser refuses (quotes, missing-value tokens, text, a wrong field count)
   goes through the ``csv`` module and vectorised NumPy conversion, which also produces the precise error
   message. Numbers go straight into one preallocated float64 matrix, so peak memory stays near the size
   of the result.

Every problem with the file raises :class:`DataError` (a ``ValueError``) whose message names the file and,
where it applies, the line; a ``progress`` callback that returns ``False`` raises :class:`LoadCancelled`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections import Counter
from itertools import islice

import numpy as np

from .table import (DataError, LoadCancelled, Table, format_numbers, nonfinite_part, nonfinite_sentence,
                    open_error)
from .table_bytes import _Hasher, _spell_missing_as_nan, _try_numpy_parse
from .decimal_marks import could_read_with_other, read_with_other
from .thousands import could_be_grouped, read_column
from .table_text import (SNIFF_BYTES, _DELIMITER_NAMES, _comment_preamble, _complete_records, _detect_header,
                         _first_lines, _is_blank, _is_missing, _is_number, _looks_binary, _numeric_column,
                         _one_column_of_decimal_commas, _one_column_of_spaced_numbers, _open_quote, _pick_encoding,
                         _record_cut, _record_end, _row_names_over_spaced_numbers, SPACED_ROW_NAMES,
                         _row_label_column, _sniff_decimal, _sniff_delimiter, _split_records, _split_spaces,
                         _to_float, _unique_names)

_MIN_CHUNK = 64 * 1024
_MAX_CHUNK = 8 * 1024 * 1024
_ROWS_PER_BATCH = 4096


class _Restart(Exception):
    """Internal: the sniffed guess was wrong (a late text cell, a late encoding error, a late decimal
    comma); read again."""

    def __init__(self, *, text_columns=(), encoding=None, decimal=None, deferred=()):
        super().__init__()
        self.text_columns = set(text_columns)
        # columns read as text until the end, then as numbers if they are (with thousands separators: 10.691
        # in a decimal-comma file, or "1,234" first seen after the sample)
        self.deferred = set(deferred)
        self.encoding = encoding
        self.decimal = decimal


class _CallbackError(Exception):
    """Internal: carries an exception raised by the caller's ``progress`` callback."""

    def __init__(self, original: BaseException):
        super().__init__()
        self.original = original


class _Reader:
    def __init__(self, path, progress, text_columns=(), encoding=None, decimal=None, deferred=()):
        self.path = path
        self.deferred = set(deferred)
        self.name = os.path.basename(path) or path
        self.progress = progress
        self.forced_text = set(text_columns)
        self.forced_encoding = encoding
        self.forced_decimal = decimal

    def err(self, message: str, line: int | None = None) -> DataError:
        where = f"{self.name}, line {line}" if line is not None else self.name
        if message.startswith("column "):
            column, _, message = message.partition(": ")
            where = f"{where}, {column}"
        return DataError(f"{where}: {message}")

    # -- main loop -------------------------------------------------------------------------------
    def read(self) -> Table:
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise open_error(self.name, self.path, exc, "CSV file") from None
        with handle:
            try:
                size = os.fstat(handle.fileno()).st_size
                if os.path.isdir(self.path):
                    raise DataError(f"{self.name}: this is a folder, not a CSV file.")
                return self._read(handle, size)
            except OSError as exc:
                raise DataError(f"{self.name}: reading failed ({exc.strerror or exc}).") from None

    def _report(self, done: int, size: int) -> None:
        if self.progress is None:
            return
        fraction = 1.0 if size <= 0 else min(1.0, done / size)
        try:
            answer = self.progress(fraction)
        except BaseException as exc:  # the caller's own exception: passed through untouched
            raise _CallbackError(exc) from None
        if answer is False:
            raise LoadCancelled(f"Loading {self.name} was cancelled.")

    def _read(self, handle, size: int) -> Table:
        hasher = _Hasher(threaded=size > 4 * 1024 * 1024)
        try:
            return self._read_chunks(handle, size, hasher)
        finally:
            hasher.close()

    def _read_chunks(self, handle, size: int, hasher: "_Hasher") -> Table:
        chunk_size = max(_MIN_CHUNK, min(_MAX_CHUNK, size // 50 + 1))
        self._report(0, size)

        # -- the first chunk: sniff ------------------------------------------------------------
        first = handle.read(max(SNIFF_BYTES, chunk_size))
        hasher.update(first)
        done = len(first)
        eof = len(first) < max(SNIFF_BYTES, chunk_size)
        if not eof:
            self._report(done, size)
        if not first.strip():
            raise self.err("the file is empty. Choose a CSV file with a header row and data rows.")
        if first.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise self.err("the file is saved as UTF-16 text. Save it as CSV (UTF-8) and open it again.")
        bom = first.startswith(codecs.BOM_UTF8)
        if bom:
            first = first[len(codecs.BOM_UTF8):]
        # Classic Mac line ends (CR only): read CR as a line end.
        self.cr_only = b"\r" in first and b"\n" not in first
        if self.cr_only:
            first = first.replace(b"\r", b"\n")
        what = _looks_binary(first[:SNIFF_BYTES])
        if what:
            raise self.err(f"this is not a text CSV file; it looks like {what}. "
                           f"Export the data as CSV (comma- or semicolon-separated text) first.")
        cut = len(first) if eof else first.rfind(b"\n", 0, SNIFF_BYTES) + 1 or len(first)
        encoding = self.forced_encoding or _pick_encoding(first[:cut], complete=eof and cut == len(first))
        # Leading comment lines ("# instrument ...", or np.savetxt's "# a,b,c" header) are skipped.
        preamble, comment = _comment_preamble(first, cut)
        sample = first[preamble:cut].decode(encoding, errors="replace")
        first_lines = _first_lines(sample, 100)
        delimiter = _sniff_delimiter(first_lines)
        if delimiter in (",", " ") and _one_column_of_decimal_commas(first_lines):  # " ": 1 234,5 lines
            delimiter = ";"  # not in the file: each line is one field, and "1,5" reads as 1.5
        self.spaced_one_column = _one_column_of_spaced_numbers(first_lines) if delimiter == " " else None
        self.spaced_row_names = _row_names_over_spaced_numbers(first_lines) if delimiter == " " else None
        if self.spaced_one_column:  # 12 345 lines under a one-name header (not R's row names): one column
            delimiter = ";"
        try:
            if delimiter == " ":
                rows = [row for row in map(_split_spaces, sample.split("\n")) if row]
            else:
                rows = [row for row in csv.reader(io.StringIO(sample if eof else _complete_records(sample, delimiter),
                                                              newline=""), delimiter=delimiter)
                        if row and not _is_blank(row)]
        except csv.Error as exc:
            raise self.err(f"cannot split the first lines into fields ({exc}).") from None
        if not rows:
            raise self.err("the file holds no data, only blank or comment lines. Choose a CSV file with data rows.")
        decimal, self.decimal_open = _sniff_decimal(rows, delimiter)
        if self.forced_decimal:
            decimal, self.decimal_open = self.forced_decimal, False
        has_header = _detect_header(rows, decimal)

        self.encoding, self.delimiter, self.decimal = encoding, delimiter, decimal
        # -- header ----------------------------------------------------------------------------
        buf = first[preamble:]
        line_offset = first.count(b"\n", 0, preamble)
        header_row = None
        if not has_header and comment:
            # The last comment line names the columns when it splits like the data and holds only text.
            try:
                fields = [r for _, r in _split_records(comment.decode(encoding, errors="replace"), delimiter)]
            except csv.Error:  # a comment that does not split into fields names no columns
                fields = []
            if (len(fields) == 1 and len(fields[0]) == Counter(len(r) for r in rows).most_common(1)[0][0]
                    and all(not _is_missing(c) and not _is_number(c, decimal) for c in fields[0])):
                header_row = fields[0]
        if has_header:
            header_bytes, header_lines, header_row = self._take_header(buf)
            buf = buf[header_bytes:]
            line_offset += header_lines
            widths = Counter(len(r) for r in rows[1:])
            if (len(widths) == 1 and next(iter(widths)) == len(header_row) + 1
                    and any(r[-1].strip() for r in rows[1:])):  # (not a trailing separator on every row)
                header_row = [""] + header_row  # R's write.table: no header field above the row names
            while len(header_row) > 1 and not header_row[-1].strip() and widths and max(widths) < len(header_row):
                header_row = header_row[:-1]  # a trailing separator after the header's last name only
        n_cols = len(header_row) if header_row is not None else Counter(len(r) for r in rows).most_common(1)[0][0]
        if header_row is not None:
            names = _unique_names(header_row)
        else:
            names = [f"col{j + 1}" for j in range(n_cols)]
        self.names = names
        self.header_row = header_row
        self.names_from_file = header_row is not None
        self.n_cols = n_cols
        self.header_lines = line_offset

        # column kinds from the sample's data rows (all-missing columns stay undecided = text for now)
        data_rows = rows[1:] if has_header else rows  # (a header from a comment line is not in ``rows``)
        self.numeric_cols = []
        for j in range(n_cols):
            if names[j] in self.deferred or (decimal == "," and any("." in r[j] for r in data_rows if j < len(r))):
                self.deferred.add(names[j])  # 10.691 or 1.234,5: read as text, then as numbers at the end
                continue
            if names[j] not in self.forced_text and _numeric_column(data_rows, j, decimal):
                self.numeric_cols.append(j)
        self.text_cols = [j for j in range(n_cols) if j not in self.numeric_cols]
        self._num_pos = {j: p for p, j in enumerate(self.numeric_cols)}

        # output buffers: numbers preallocated from the bytes per line seen in the sample
        lines_in_sample = max(1, sample.count("\n"))
        est_rows = int(size / max(1, cut) * lines_in_sample * 1.05) + 16
        self.out = np.empty((est_rows, len(self.numeric_cols)), dtype=np.float64)
        self.texts = [[] for _ in self.text_cols]
        self.n = 0
        self.pieces: list[tuple[int, int]] = []  # (first row, byte offset) of every piece: lines for errors
        self.has_inf = False                      # an infinite number (inf, -inf, 1e309) was read

        # -- the chunks ------------------------------------------------------------------------
        quote_aware = delimiter != " "
        # Byte offset of ``buf`` in the file as read (after the BOM); line numbers are counted from it only
        # when an error message needs one (counting every piece would cost ~5 % of a clean load).
        self.bom_bytes = len(codecs.BOM_UTF8) if bom else 0
        self.body_offset = len(first) - len(buf)
        offset = self.body_offset
        while True:
            if not eof:
                more = handle.read(chunk_size)
                if more:
                    hasher.update(more)
                    done += len(more)
                    buf += more.replace(b"\r", b"\n") if self.cr_only else more
                eof = not more
            if eof:
                piece, buf = buf, b""
            else:
                cut = _record_cut(buf, delimiter.encode("latin-1")) if quote_aware else buf.rfind(b"\n")
                if cut < 0:
                    continue
                piece, buf = buf[:cut + 1], buf[cut + 1:]
            if piece:
                self._parse_piece(piece, offset)
                offset += len(piece)
            self._report(done, size)
            if eof:
                break

        # -- finish ----------------------------------------------------------------------------
        if self.n == 0:
            if has_header:
                raise self.err(f"the file has a header row ({', '.join(names)}) but no data rows.")
            raise self.err("the file has no data rows.")
        out = self.out
        if out.shape[0] != self.n:
            if out.shape[0] > 2 * self.n + 1024:
                out = out[: self.n].copy()
            else:
                out.resize((self.n, out.shape[1]), refcheck=False)
        numeric_names = [names[j] for j in self.numeric_cols]
        text = {names[j]: col for j, col in zip(self.text_cols, self.texts)}
        # A column that was all missing in the sample but holds numbers further down is numeric; so is a
        # column of numbers with thousands separators (emdesk.io.thousands).
        # A column that needs the other decimal mark (1.234,5 after decimal points) is read with it when all
        # its cells say so (emdesk.io.decimal_marks).
        late = []
        separators, ambiguous, other_decimal = {}, {}, {}
        for j in self.text_cols:
            if names[j] in self.forced_text:
                continue
            first = next((v for v in text[names[j]] if not _is_missing(v)), None)
            if first is None:
                continue
            if not (_is_number(first, decimal) or could_be_grouped(first, decimal)
                    or could_read_with_other(first, decimal)):
                continue
            values, sep, example = read_column(text[names[j]], decimal, delimiter)
            if values is None and (other := read_with_other(text[names[j]], decimal, delimiter)) is not None:
                values, sep, example, other_decimal[names[j]] = other
            if sep:
                separators[names[j]] = sep
            if example:
                ambiguous[names[j]] = example
            if values is not None and not np.isnan(values).all():
                late.append((j, values))
                self.has_inf = self.has_inf or bool(np.isinf(values).any())
            else:
                for found in (separators, ambiguous, other_decimal):
                    found.pop(names[j], None)
        if late:
            for j, values in late:
                del text[names[j]]
            cols = {j: out[:, p] for p, j in enumerate(self.numeric_cols)}
            cols.update(dict(late))
            order = sorted(cols)
            out = np.column_stack([cols[j] for j in order]) if order else out
            numeric_names = [names[j] for j in order]
        # Rows that all end with a separator (1,2, / 3,4,), with no header or with a header that ends with
        # one too (a,b, / 1,2,): the empty field after the last separator is not a column. A column the
        # header names stays, even when empty (see _tidy).
        def unnamed(j):
            hdr = self.header_row
            return not self.names_from_file or (hdr is not None and j < len(hdr) and not hdr[j].strip())

        while (len(names) > 1 and unnamed(len(names) - 1) and names[-1] in text
               and names[-1] not in self.forced_text and all(not v.strip() for v in text[names[-1]])):
            del text[names[-1]]
            names = names[:-1]
        if self.has_inf:
            raise self._nonfinite_error(out, numeric_names)
        label = _row_label_column(names, self.header_row, out, numeric_names, text)
        if label is not None and label in numeric_names:  # held as text from now on
            p = numeric_names.index(label)
            text[label] = format_numbers(out[:, p])
            out = np.delete(out, p, axis=1)
            numeric_names = numeric_names[:p] + numeric_names[p + 1:]
        table = Table(path=self.path, column_names=names, numeric=out, numeric_names=numeric_names, text=text,
                      sha256=hasher.hexdigest(), delimiter=delimiter, decimal=decimal,
                      encoding=("utf-8-sig" if bom and encoding == "utf-8" else encoding),
                      has_header=self.names_from_file, row_label_column=label)
        table.thousands = {c: s for c, s in separators.items() if c in numeric_names}
        table.thousands_ambiguous = {c: e for c, e in ambiguous.items() if c in numeric_names}
        table.other_decimal_columns = {c: e for c, e in other_decimal.items() if c in numeric_names}
        if self.spaced_one_column and table.thousands.get(names[0]) == " ":
            table.spaced_one_column = {names[0]: self.spaced_one_column}
        return table

    def _take_header(self, buf: bytes) -> tuple[int, int, list[str]]:
        """(bytes, physical lines, fields) of the header record at the start of ``buf``."""
        pos = 0
        lines = 0
        while True:
            end = buf.find(b"\n", pos)
            if end < 0:
                end = len(buf) - 1
            segment = buf[pos:end + 1]
            lines += 1
            pos = end + 1
            text = segment.decode(self.encoding, errors="replace")
            try:
                records = [r for _, r in _split_records(text, self.delimiter)] if text.strip() else []
            except csv.Error as exc:
                raise self.err(f"cannot split the header into fields ({exc}).", lines) from None
            if records and not _is_blank(records[0]):
                if self.delimiter != " ":  # a quoted header name may hold line breaks: to its record end
                    end, unclosed = _record_end(buf, self.delimiter.encode("latin-1"), pos - len(segment))
                    if unclosed is not None:
                        column = unclosed - (pos - len(segment)) + 1
                        raise self.err(f"column {column}: a quoted name in the header starts here but its "
                                       f"closing double quote is missing. Close the quote.", lines)
                    lines += buf.count(b"\n", pos, end)
                    pos = max(pos, end)
                text = buf[:pos].decode(self.encoding, errors="replace")
                try:
                    rows = [r for _, r in _split_records(text, self.delimiter) if not _is_blank(r)]
                except csv.Error as exc:
                    raise self.err(f"cannot split the header into fields ({exc}).", lines) from None
                return pos, lines, (rows[0] if rows else records[0])
            if pos >= len(buf):
                raise self.err("no header row found.")

    # -- one piece of complete records ------------------------------------------------------------
    def _grow(self, needed: int) -> None:
        if needed > self.out.shape[0]:
            new = np.empty((max(needed, int(self.out.shape[0] * 1.5) + 1024), self.out.shape[1]))
            new[: self.n] = self.out[: self.n]
            self.out = new

    def _row_cell(self, row: int, column: str) -> tuple[int, str]:
        """(line number, cell text) of data row ``row`` (0-based) in ``column`` (the error path only)."""
        k = max(i for i, (first, _) in enumerate(self.pieces) if first <= row)
        first, offset = self.pieces[k]
        end = self.pieces[k + 1][1] if k + 1 < len(self.pieces) else None
        with open(self.path, "rb") as handle:
            handle.seek(self.bom_bytes + offset)
            data = handle.read() if end is None else handle.read(end - offset)
        if self.cr_only:
            data = data.replace(b"\r", b"\n")
        text = data.decode(self.encoding, errors="replace")
        j = self.names.index(column)
        left = row - first
        for line, fields in _split_records(text, self.delimiter):
            if _is_blank(fields):
                continue
            if left == 0:
                return self._lines_before(offset) + line, (fields[j].strip() if j < len(fields) else "")
            left -= 1
        return self._lines_before(offset) + 1, ""

    def _nonfinite_error(self, out: np.ndarray, numeric_names: list[str]) -> DataError:
        """The DataError for infinite numbers (inf, -inf, or a number beyond a double's range such as 1e309),
        per column: how many cells and the first one's line and text."""
        parts = []
        for p, name in enumerate(numeric_names):
            where = np.flatnonzero(np.isinf(out[:, p]))
            if where.size == 0:
                continue
            line, cell = self._row_cell(int(where[0]), name)
            parts.append(nonfinite_part(name, int(where.size), f"line {line}", cell))
        return DataError(f"{self.name}: {nonfinite_sentence(parts)}")

    def _lines_before(self, offset: int) -> int:
        """Physical lines before byte ``offset`` of the file as read (the error path only: reads again)."""
        newline = b"\r" if self.cr_only else b"\n"
        count = 0
        with open(self.path, "rb") as handle:
            handle.seek(self.bom_bytes)
            left = offset
            while left > 0:
                block = handle.read(min(left, 1 << 20))
                if not block:
                    break
                count += block.count(newline)
                left -= len(block)
        return count

    def _parse_piece(self, piece: bytes, offset: int) -> None:
        self.pieces.append((self.n, offset))
        nul = piece.find(b"\x00")
        if nul >= 0:
            raise self.err("the file contains binary data (a NUL byte); it is not a text CSV file.",
                           self._lines_before(offset + nul) + 1)
        if not self.text_cols and b'"' not in piece and self._fast(piece):
            return
        try:
            text = piece.decode(self.encoding)
        except UnicodeDecodeError:
            raise _Restart(text_columns=self.forced_text,
                           encoding="cp1252" if self.encoding == "utf-8" else "latin-1",
                           deferred=self.deferred) from None
        self._slow(text, offset)

    def _fast(self, piece: bytes) -> bool:
        """NumPy's C parser on a piece of a clean numeric file; False when it refuses the piece."""
        if self.decimal == ",":
            if b"." in piece:  # 10.691 in a decimal-comma file: a thousands separator? (the careful path)
                return False
            piece = piece.replace(b",", b".")
        delimiter = None if self.delimiter == " " else self.delimiter
        block = _try_numpy_parse(piece, delimiter)
        if block is None and delimiter is not None:
            # Missing values (empty cells, NA, null, ...) are the usual reason: spell them "nan" and retry.
            patched = _spell_missing_as_nan(piece, delimiter.encode("latin-1"))
            if patched != piece:
                block = _try_numpy_parse(patched, delimiter)
        if block is None:  # anything NumPy's fast parser refuses is read by the careful path
            return False
        if block.size == 0:
            return True  # blank lines only
        if block.ndim != 2:
            return False
        if block.shape[1] != self.n_cols:
            return False
        self._grow(self.n + block.shape[0])
        self.out[self.n:self.n + block.shape[0]] = block
        if not self.has_inf and np.isinf(block).any():
            self.has_inf = True
        self.n += block.shape[0]
        return True

    def _slow(self, text: str, offset: int) -> None:
        """The careful path: the csv module (or whitespace splitting), then vectorised conversion, in
        batches of rows so the working set stays in cache."""
        if self.delimiter == " ":
            source = map(_split_spaces, text.split("\n"))
        else:
            source = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, quotechar='"',
                                doublequote=True)
        n_cols = self.n_cols
        unclosed = self._unclosed_quote(text, offset)
        if unclosed is not None:
            raise unclosed
        try:
            while True:
                rows = list(islice(source, _ROWS_PER_BATCH))
                if not rows:
                    return
                if set(map(len, rows)) != {n_cols}:
                    rows = self._tidy(rows, text, offset)
                if rows:
                    self._add_rows(rows)
        except csv.Error:
            self._records(text, offset)  # raises the error with its line number
            raise self.err("cannot split the file into fields.") from None

    def _tidy(self, rows: list[list[str]], text: str, offset: int) -> list[list[str]]:
        """Drop blank rows and trailing empty fields; any other wrong field count is an error."""
        n_cols = self.n_cols
        tidy = []
        for row in rows:
            if len(row) == n_cols:
                tidy.append(row)
            elif _is_blank(row):
                continue
            elif len(row) > n_cols and not any(c.strip() for c in row[n_cols:]):
                tidy.append(row[:n_cols])
            else:
                self._records(text, offset)  # raises the error with its line number
                raise self._field_count_error(len(row), None)
        return tidy

    def _add_rows(self, rows: list[list[str]]) -> None:
        columns = list(zip(*rows))
        m = len(rows)
        values = {}
        failed = set()
        if self.decimal == ",":
            deferred = {self.names[j] for j in self.numeric_cols if "." in "".join(columns[j])}
            if deferred:  # first seen after the sample: read again with these columns as text until the end
                raise _Restart(text_columns=self.forced_text, encoding=self.encoding, decimal=",",
                               deferred=self.deferred | deferred)
        for j in self.numeric_cols:
            converted = _to_float(columns[j], self.decimal)
            if converted is None:
                failed.add(self.names[j])
            values[j] = converted
        if failed:
            if self.decimal_open and any(_to_float(columns[j], ",") is not None for j in self.numeric_cols
                                         if self.names[j] in failed):
                # whole numbers only in the sample, then a decimal comma (e.g. 72,5): read again with ","
                raise _Restart(text_columns=self.forced_text, encoding=self.encoding, decimal=",",
                               deferred=self.deferred)
            grouped = {self.names[j] for j in self.numeric_cols if self.names[j] in failed
                       and any(could_be_grouped(c, self.decimal) or could_read_with_other(c, self.decimal)
                               for c in columns[j])}  # 1,234 after 999, or 1.234,5 after 3.5: at the end
            raise _Restart(text_columns=self.forced_text | (failed - grouped), encoding=self.encoding,
                           deferred=self.deferred | grouped)
        self._grow(self.n + m)
        for j, converted in values.items():
            self.out[self.n:self.n + m, self._num_pos[j]] = converted
            if not self.has_inf and np.isinf(converted).any():
                self.has_inf = True
        for k, j in enumerate(self.text_cols):
            self.texts[k].extend(columns[j])
        self.n += m

    def _records(self, text: str, offset: int) -> list[list[str]]:
        """Record by record, with line numbers for the error messages."""
        n_cols = self.n_cols
        rows = []
        last_line = 0
        try:
            for line, row in _split_records(text, self.delimiter):
                if _is_blank(row):
                    continue
                if len(row) != n_cols:
                    # Tolerate trailing empty fields (a habit of spreadsheet exports).
                    if len(row) > n_cols and not any(c.strip() for c in row[n_cols:]):
                        row = row[:n_cols]
                    else:
                        raise self._field_count_error(len(row), self._lines_before(offset) + line)
                rows.append(row)
                last_line = line
        except csv.Error as exc:
            raise self.err(f"cannot split the line into fields ({exc}).",
                           self._lines_before(offset) + last_line + 1) from None
        return rows

    def _unclosed_quote(self, text: str, offset: int) -> DataError | None:
        """The error at a quoted value whose closing quote is missing (it swallows the rest of ``text``)."""
        if self.delimiter == " " or text.count('"') % 2 == 0:
            return None
        try:
            for _ in csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True):
                pass
            return None
        except csv.Error as exc:
            if "end of data" not in str(exc):
                return None
        q = _open_quote(text, self.delimiter)
        if q is None:
            return None
        line = self._lines_before(offset) + text.count("\n", 0, q) + 1
        column = q - text.rfind("\n", 0, q)
        return self.err(f"column {column}: a quoted value starts here but its closing double quote is missing. "
                        f"Close the quote, or double a quote that belongs inside a value (\"\").", line)

    def _field_count_error(self, found: int, line: int) -> DataError:
        d = _DELIMITER_NAMES[self.delimiter]
        source = "as in the header" if self.names_from_file else "as in the first line"
        if self.delimiter == " ":  # runs of spaces are one separator: no empty field, no quoting
            hint = ("Is there a space inside a value? Join or remove it." if found > self.n_cols else
                    "Is a value missing? Write NA in its place (runs of spaces count as one separator).")
            if found > self.n_cols and getattr(self, "spaced_row_names", None):
                hint = SPACED_ROW_NAMES.format(example=self.spaced_row_names)
        else:
            hint = (f"Is there an unquoted {d} inside a value? Put such values in double quotes."
                    if found > self.n_cols else
                    f"Is a value missing? Leave it empty between two {d}s rather than dropping the separator.")
        return self.err(f"expected {self.n_cols} fields ({source}) but found {found}. {hint}", line)


class _Monotonic:
    """The caller's progress callback, never given a smaller fraction than before: when the reader starts
    again (a late text cell, encoding or decimal comma), the bar holds until the new pass passes it; the
    callback is still called (so Cancel works during the new pass)."""

    def __init__(self, progress):
        self.progress = progress
        self.high = 0.0

    def __call__(self, fraction: float):
        self.high = max(self.high, fraction)
        return self.progress(self.high)


def read_csv(path: str, progress, name: str) -> Table:
    """:func:`~emdesk.io.table.load_table` for a text file (``name``: the file's name for messages)."""
    if progress is not None:
        progress = _Monotonic(progress)
    text_columns: set[str] = set()
    deferred: set[str] = set()
    encoding = decimal = None
    for _attempt in range(1000):
        try:
            return _Reader(path, progress, text_columns, encoding, decimal, deferred).read()
        except _Restart as restart:
            new_decimal = restart.decimal or decimal
            if (restart.text_columns <= text_columns and restart.encoding == encoding and new_decimal == decimal
                    and restart.deferred <= deferred):
                break
            text_columns, encoding, decimal = restart.text_columns, restart.encoding, new_decimal
            deferred = restart.deferred
        except _CallbackError as wrapped:
            raise wrapped.original from None
        except (DataError, LoadCancelled, MemoryError):
            raise
        except Exception as exc:  # a safety net: whatever the bytes, the caller gets a DataError
            raise DataError(f"{name}: unexpected problem while reading ({type(exc).__name__}: {exc}). "
                            f"Please report it with the file.") from exc
    raise DataError(f"{name}: the file's format could not be determined.")
