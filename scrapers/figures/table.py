"""The one table of what the reader may report: indicator ids by period kind, plausible magnitudes,
and the confidence each doubt costs.
"""

from __future__ import annotations

# Evidence kept with a figure: the sentence, or a window of it this long around the figure.
MAX_EVIDENCE = 300

# Plausible magnitudes (USD): a monthly value of $3.8 billion is a misread annual one.
MAGNITUDE = {
    "pk_it_exports_monthly": (20e6, 1.5e9),
    "pk_it_exports_fy": (1e9, 25e9),
    "pk_it_exports_fytd": (20e6, 25e9),
    "pk_it_exports_target": (0.5e9, 100e9),
}

