"""The bulletin as an Excel workbook: a sheet per section, real numbers, native charts.

Rates are fractions with a percentage format, changes are numbers of percentage points,
counts are integers: an analyst can sort, filter and recompute. Each sheet has a frozen
header row, a filter, columns as wide as their text, and a print setup (A4, fit to the
page's width, headings on every page, the bulletin's title, week and page numbers), so
the channel centre can print or publish it as it is. Rates are tinted by the target and
statuses coloured by their tone; the charts are Excel's own, drawn from the cells, their
series named. The file is byte-for-byte reproducible: fixed document dates and zip times.
"""

from smartcounter.bulletin.xlsx.writer import write_xlsx

__all__ = ["write_xlsx"]
