"""Read the figures an analyst would quote out of English news and report text.

News about Pakistan's IT exports and Canada's tech sector states the same few figures in many
ways ("$348 million", "up 28pc", "in December", "Jul-Mar FY25"), surrounded by figures that look
alike but mean something else (textile exports, India's IT exports, the FY29 target, the previous
year's value, rupee amounts). This package is the one place that knows those conventions.

It is pure: text in, observations out, no network, no database, no clock. The publication date is
an argument because "in December" and "the current fiscal year" are relative to it.
"""

from scrapers.figures.periods import Period, find_periods
from scrapers.figures.reader import read_figures
from scrapers.figures.sentences import split_sentences

__all__ = ["Period", "find_periods", "read_figures", "split_sentences"]
