"""Made tests/io/data/small.xls once (legacy Excel 97-2003 BIFF8; python-calamine reads it, nothing in
emdesk or its test extra writes it):  pip install --target /tmp/xlwt xlwt && PYTHONPATH=/tmp/xlwt python make_xls.py
"""

import datetime as dt
from pathlib import Path

import xlwt

book = xlwt.Workbook()
sheet = book.add_sheet("Data")
date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
for j, name in enumerate(["x", "y", "when"]):
    sheet.write(0, j, name)
for i, (x, y, day) in enumerate([(1.5, 2.0, 1), (2.5, None, 2), (3.5, 4.0, 3)], start=1):
    sheet.write(i, 0, x)
    if y is not None:
        sheet.write(i, 1, y)
    sheet.write(i, 2, dt.date(2024, 3, day), date)
book.add_sheet("Second").write(0, 0, "only text")
book.save(str(Path(__file__).with_name("small.xls")))
