"""Fuzzing ``emdesk.io.load_table`` with random bytes and CSV-like text: only ``DataError`` may come out.

    python3 benchmarks/fuzz_table.py [--cases 100000] [--seed 0]

Each case is, seeded, either random bytes or CSV-like text built from the pieces that make real files
hard: delimiters (comma, semicolon, tab, pipe, runs of spaces, mixed), line ends (LF, CRLF, bare CR,
mixed), quotes (balanced, doubled, unclosed, around line breaks), comment lines starting with ``#``,
header rows or none, numbers in many spellings (decimal commas, exponents, 400-digit integers, 1e999),
missing-value tokens, text, trailing separators, blank lines, a BOM, NUL and control bytes, Latin-1
bytes, and truncation or random bytes on top; 3 % of the cases are numeric files larger than the sniffed
sample with a surprise after it (a text cell, a decimal comma, a Latin-1 byte: the reader reads again). The progress callback checks that the fraction never
decreases and stays in [0, 1].

The figures printed are the cases run and each outcome: ``loaded``, ``DataError``, ``DataError via the
safety net`` (the loader's "unexpected problem ... please report it" catch-all: a kind of fault no check
names yet), ``progress went back``, and any other exception (a bug). ``tests/io/test_fuzz.py`` runs the
same generator in a CI-sized form.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from emdesk.io import DataError, load_table  # noqa: E402

NET_MARKER = "Please report it with the file"  # the safety net's wording in load_table

_DELIMITERS = [",", ";", "\t", "|", " ", "  ", " \t"]
_LINE_ENDS = ["\n", "\r\n", "\r"]
_WORDS = ["a", "b c", "x y", "name", "héllo", "caf\u00e9", "1_2", "-", "?", "NA", "n/a", "null", "None", "#N/A",
          "nan", "inf", "-inf", "", " ", "TRUE", "0x1F", "1,2", "1.2.3", "\u00a0", "\u2028", "\x0b", "\x0c"]


def _pick(rng: np.random.Generator, options: list):
    return options[int(rng.integers(0, len(options)))]


def _number(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 12))
    if kind == 0:
        return str(int(rng.integers(-1000, 1000)))
    if kind == 1:
        return repr(float(rng.normal(0, 10.0 ** rng.integers(-5, 6))))
    if kind == 2:
        return f"{rng.normal():.3f}".replace(".", ",")  # a decimal comma
    if kind == 3:
        return f"{rng.normal():.2e}"
    if kind == 4:
        return "9" * int(rng.integers(20, 500))
    if kind == 5:
        return ["1e999", "-1e999", "1e-999", "5e-324", "1.7976931348623157e308"][int(rng.integers(0, 5))]
    if kind == 6:
        return "1." + "0" * int(rng.integers(10, 400)) + "1"
    if kind == 7:
        return str(int(rng.integers(1, 100)))  # row-number-like
    if kind == 8:
        return f" {rng.normal():.4f} "
    if kind == 9:
        return f"{rng.integers(0, 10)}.{rng.integers(0, 10)}e{rng.integers(-10, 10)}"
    if kind == 10:
        return "+" + str(int(rng.integers(0, 100)))
    return "." + str(int(rng.integers(0, 1000)))


def _cell(rng: np.random.Generator, delimiter: str) -> str:
    r = rng.random()
    if r < 0.55:
        return _number(rng)
    if r < 0.75:
        return _WORDS[int(rng.integers(0, len(_WORDS)))]
    if r < 0.9:  # quoted, maybe with the delimiter, quotes or line breaks inside
        inner = _pick(rng, ["red car", "blue\nsky", "a\r\nb", 'say ""hi""', "x" + delimiter + "y", "", "5'11",
                            "1,5", "line\rbreak"])
        return f'"{inner}"'
    if r < 0.95:  # an unclosed or stray quote
        return _pick(rng, ['"open', 'mid"dle', '"', '""', 'end"', '"a"b'])
    return "".join(chr(int(c)) for c in rng.integers(0, 256, int(rng.integers(1, 6))))


def csv_like(rng: np.random.Generator) -> bytes:
    delimiter = _DELIMITERS[int(rng.integers(0, len(_DELIMITERS)))]
    line_end = _LINE_ENDS[int(rng.integers(0, len(_LINE_ENDS)))]
    n_cols = int(rng.integers(1, 6))
    n_rows = int(rng.integers(0, 40)) if rng.random() < 0.95 else int(rng.integers(100, 200))
    lines = []
    if rng.random() < 0.3:  # comment lines
        for _ in range(int(rng.integers(1, 3))):
            lines.append("#" + _pick(rng, [" x y", ' x y"', " a,b,c", " instrument 7", "", " x y\"\rz",
                                           ' "a b" c']))
    if rng.random() < 0.6:  # a header
        names = [_pick(rng, ["x", "y", "", '""', '"a b"', "id", "value", "x", "ä", "#"]) for _ in range(n_cols)]
        lines.append(delimiter.join(names) + (delimiter if rng.random() < 0.15 else ""))
    trailing = rng.random() < 0.2
    numeric_only = rng.random() < 0.4
    for i in range(n_rows):
        width = n_cols if rng.random() < 0.93 else int(rng.integers(0, n_cols + 3))
        if numeric_only:
            cells = [_number(rng) for _ in range(width)]
            if width and rng.random() < 0.3:
                cells[0] = str(i + 1)  # row numbers
        else:
            cells = [_cell(rng, delimiter) for _ in range(width)]
        line = delimiter.join(cells) + (delimiter if trailing else "")
        if rng.random() < 0.05:
            line = ""  # a blank line
        lines.append(line)
    if rng.random() < 0.1:  # mixed line ends
        text = "".join(line + _LINE_ENDS[int(rng.integers(0, 3))] for line in lines)
    else:
        text = line_end.join(lines) + (line_end if rng.random() < 0.8 else "")
    encoding = ["utf-8", "latin-1", "cp1252"][int(rng.integers(0, 3))]
    data = text.encode(encoding, errors="replace")
    if rng.random() < 0.05:
        data = b"\xef\xbb\xbf" + data
    if data and rng.random() < 0.15:  # truncation
        data = data[: int(rng.integers(0, len(data) + 1))]
    if data and rng.random() < 0.15:  # random bytes somewhere
        arr = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            arr[int(rng.integers(0, len(arr)))] = int(rng.integers(0, 256))
        data = bytes(arr)
    return data


def random_bytes(rng: np.random.Generator) -> bytes:
    n = int(rng.integers(0, 2000))
    if rng.random() < 0.5:  # printable-heavy noise: gets past the binary check more often
        alphabet = np.frombuffer(b'0123456789.,;\t| \n\r"#-+eE\xe9\xa0', dtype=np.uint8)
        return alphabet[rng.integers(0, alphabet.size, n)].tobytes()
    return rng.integers(0, 256, n, dtype=np.uint8).tobytes()


_LATE = [b"text", b"7,25", b"caf\xe9", b'"two\nlines"', b'"open', b"\x00", b"1\r2", b"NA", b"", b"1e999",
         b"9" * 400, b'"a""b"', b"#x", b"\xff\xfe"]


def large_with_a_late_surprise(rng: np.random.Generator) -> bytes:
    """A clean numeric file larger than the sniffed sample (64 KB) with something unexpected after it:
    what makes the reader change its mind and read again (a text cell, a decimal comma, a Latin-1 byte),
    or fail late (an unclosed quote, a NUL byte, a wrong field count)."""
    delimiter = [b",", b";", b"\t", b" "][int(rng.integers(0, 4))]
    n_cols = int(rng.integers(1, 5))
    n_rows = int(rng.integers(7000, 20000))
    X = rng.normal(size=(n_rows, n_cols)).round(4)
    body = "\n".join(delimiter.decode().join(map(repr, row)) for row in X.tolist()).encode() + b"\n"
    header = delimiter.join(f"c{j}".encode() for j in range(n_cols)) + b"\n" if rng.random() < 0.7 else b""
    lines = body.split(b"\n")
    for _ in range(int(rng.integers(1, 4))):
        at = int(rng.integers(len(lines) // 2, len(lines) - 1))
        cells = lines[at].split(delimiter)
        cells[int(rng.integers(0, len(cells)))] = _LATE[int(rng.integers(0, len(_LATE)))]
        if rng.random() < 0.1:
            cells.append(b"extra")
        lines[at] = delimiter.join(cells)
    return header + b"\n".join(lines)


def case(rng: np.random.Generator, large: float = 0.03) -> bytes:
    r = rng.random()
    if r < large:
        return large_with_a_late_surprise(rng)
    return random_bytes(rng) if r < 0.25 else csv_like(rng)


def overwrite(path: str, data: bytes) -> None:
    """Replace a file's bytes in place (opening with truncation costs milliseconds on some file systems)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def run(n_cases: int, seed: int, folder: str, large: float = 0.03) -> dict:
    """Load ``n_cases`` generated files (a fraction ``large`` of them larger than the sniffed sample);
    returns the outcome counts and an example of each bad outcome."""
    rng = np.random.default_rng(seed)
    path = os.path.join(folder, "fuzz.csv")
    outcomes: Counter = Counter()
    examples: dict[str, tuple[bytes, str]] = {}
    for _ in range(n_cases):
        data = case(rng, large)
        overwrite(path, data)
        seen: list[float] = []

        def progress(fraction, seen=seen):
            seen.append(fraction)

        try:
            table = load_table(path, progress=progress)
        except DataError as exc:
            label = "DataError via the safety net" if NET_MARKER in str(exc) else "DataError"
            if label != "DataError":
                examples.setdefault(label, (data[:200], str(exc)[:300]))
        except BaseException as exc:  # noqa: BLE001 - the point is to see every kind
            label = type(exc).__name__
            examples.setdefault(label, (data[:200], str(exc)[:300]))
        else:
            label = "loaded"
            X = table.to_array()
            if X.shape != (table.n_rows, len(table.numeric_column_names)):
                label = "loaded with a wrong shape"
                examples.setdefault(label, (data[:200], repr(table)))
        if any(b < a for a, b in zip(seen, seen[1:])) or any(not 0.0 <= f <= 1.0 for f in seen):
            outcomes["progress went back"] += 1
            examples.setdefault("progress went back", (data[:200], repr(seen[:20])))
        outcomes[label] += 1
    return {"cases": n_cases, "outcomes": dict(outcomes), "examples": examples}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = run(args.cases, args.seed, folder)
        seconds = time.perf_counter() - start
    print(f"load_table fuzz: {result['cases']} files (random bytes and CSV-like text), seed {args.seed}, "
          f"{seconds:.1f} s")
    for label, count in sorted(result["outcomes"].items(), key=lambda item: -item[1]):
        print(f"  {label}: {count}")
    for label, (data, message) in result["examples"].items():
        print(f"  example of {label}: {data!r} -> {message}")
    bad = {k: v for k, v in result["outcomes"].items() if k not in ("loaded", "DataError")}
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
