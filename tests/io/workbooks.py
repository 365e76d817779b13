"""Tiny .xlsx and .ods writers for the tests (the files Excel and LibreOffice write, reduced to what a
reader needs: cells with numbers, text, dates, formulas with their cached values and error values).

A sheet is a list of rows; a cell is ``None`` (empty), a number, a string, a :class:`datetime.date` /
:class:`datetime.datetime`, ``Formula(text, cached_value)`` or ``Error("#DIV/0!")``.
The formats: ECMA-376 Part 1 (SpreadsheetML: workbook.xml, worksheets, cellXfs with the built-in date
format 14) and OASIS OpenDocument 1.2 (content.xml with office:value-type and table:formula).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class Formula:
    text: str        # without the leading "="
    value: object    # the cached value a spreadsheet program stored


@dataclass(frozen=True)
class Error:
    code: str        # "#DIV/0!", "#VALUE!", "#N/A", ...


def column_letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _serial(value) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return (value - _EXCEL_EPOCH).total_seconds() / 86400.0


def _xlsx_cell(ref: str, value) -> str:
    formula = ""
    if isinstance(value, Formula):
        formula = f"<f>{escape(value.text)}</f>"
        value = value.value
    if value is None:
        return f'<c r="{ref}">{formula}</c>' if formula else ""
    if isinstance(value, Error):
        return f'<c r="{ref}" t="e">{formula}<v>{escape(value.code)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b">{formula}<v>{int(value)}</v></c>'
    if isinstance(value, (dt.date, dt.datetime)):
        style = 2 if isinstance(value, dt.datetime) else 1
        return f'<c r="{ref}" s="{style}">{formula}<v>{_serial(value)!r}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}">{formula}<v>{value!r}</v></c>'
    if formula:
        return f'<c r="{ref}" t="str">{formula}<v>{escape(str(value))}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def write_xlsx(path, sheets: dict[str, list[list]]) -> None:
    """Write ``{sheet name: rows}`` as an .xlsx (or .xlsm: the same parts) workbook."""
    names = list(sheets)
    wb_sheets = "".join(f'<sheet name={quoteattr(n)} sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                        for i, n in enumerate(names))
    rels = "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
                   f'2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                   for i in range(len(names)))
    rels += (f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
             f'2006/relationships/styles" Target="styles.xml"/>')
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
                        f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                        for i in range(len(names)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.styles+xml"/>' + overrides + '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   f'<sheets>{wb_sheets}</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'{rels}</Relationships>')
        z.writestr("xl/styles.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>'
                   '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
                   '<borders count="1"><border/></borders>'
                   '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
                   '<cellXfs count="3"><xf numFmtId="0" xfId="0"/>'
                   '<xf numFmtId="14" xfId="0" applyNumberFormat="1"/>'
                   '<xf numFmtId="164" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>')
        for i, name in enumerate(names):
            rows = []
            for r, row in enumerate(sheets[name], start=1):
                cells = "".join(_xlsx_cell(f"{column_letter(j)}{r}", v) for j, v in enumerate(row))
                rows.append(f'<row r="{r}">{cells}</row>')
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml",
                       '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                       '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                       f'<sheetData>{"".join(rows)}</sheetData></worksheet>')


def _ods_cell(value) -> str:
    formula = ""
    if isinstance(value, Formula):
        formula = f" table:formula={quoteattr('of:=' + value.text)}"
        value = value.value
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, Error):
        return (f'<table:table-cell{formula} office:value-type="string" office:string-value='
                f'{quoteattr(value.code)}><text:p>{escape(value.code)}</text:p></table:table-cell>')
    if isinstance(value, bool):
        return (f'<table:table-cell{formula} office:value-type="boolean" office:boolean-value='
                f'"{str(value).lower()}"><text:p>{str(value).upper()}</text:p></table:table-cell>')
    if isinstance(value, (dt.date, dt.datetime)):
        return (f'<table:table-cell{formula} office:value-type="date" office:date-value="{value.isoformat()}">'
                f'<text:p>{value.isoformat()}</text:p></table:table-cell>')
    if isinstance(value, (int, float)):
        return (f'<table:table-cell{formula} office:value-type="float" office:value="{value!r}">'
                f'<text:p>{value!r}</text:p></table:table-cell>')
    return (f'<table:table-cell{formula} office:value-type="string"><text:p>{escape(str(value))}</text:p>'
            f'</table:table-cell>')


def write_ods(path, sheets: dict[str, list[list]]) -> None:
    """Write ``{sheet name: rows}`` as an OpenDocument spreadsheet (.ods)."""
    tables = []
    for name, rows in sheets.items():
        body = "".join(f"<table:table-row>{''.join(_ods_cell(v) for v in row)}</table:table-row>" for row in rows)
        tables.append(f"<table:table table:name={quoteattr(name)}>{body}</table:table>")
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body>'
               '</office:document-content>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml",
                   '<?xml version="1.0" encoding="UTF-8"?>'
                   '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                   'manifest:version="1.2">'
                   '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                   'vnd.oasis.opendocument.spreadsheet"/>'
                   '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                   '</manifest:manifest>')
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
