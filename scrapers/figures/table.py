"""The one table of what the reader may report: indicator ids by period kind, plausible magnitudes,
and the confidence each doubt costs.
"""

from __future__ import annotations

# Evidence kept with a figure: the sentence, or a window of it this long around the figure.
MAX_EVIDENCE = 300

# Pakistan's IT exports: the indicator a value or a year-on-year growth rate feeds, by its period's kind.
IT_EXPORTS_BY_PERIOD = {"month": "pk_it_exports_monthly", "fy": "pk_it_exports_fy", "fytd": "pk_it_exports_fytd"}
IT_GROWTH_BY_PERIOD = {
    "month": "pk_it_exports_monthly_yoy_pct", "fy": "pk_it_exports_fy_yoy_pct", "fytd": "pk_it_exports_fytd_yoy_pct",
}

# What each doubt costs a figure's confidence (which starts at 0.95 and never drops below 0.1).
PENALTY = {
    "topic_inherited": 0.15,    # the subject came from an earlier sentence
    "period_inherited": 0.15,   # the period came from an earlier sentence
    "relative_period": 0.05,    # "in December", resolved against the publication date
    "comparison": 0.1,          # an earlier value quoted for comparison
    "currency_assumed": 0.2,    # "348mn" with no currency marker
    "bare_dollar": 0.3,         # a bare "$" in trade or Canadian figures, read by the page's voice
    "year_inherited": 0.15,     # a calendar year from the previous sentence
    "year_of_publication": 0.2,  # a count or rank with no year of its own: the publication's
    "year_in_sentence": 0.05,   # a trade value's year named elsewhere in its sentence
    "edition_of_document": 0.05,  # a GII rank whose edition the document names elsewhere
}
CONFIDENCE_START, CONFIDENCE_FLOOR = 0.95, 0.1

# Plausible magnitudes (USD): a monthly value of $3.8 billion is a misread annual one.
MAGNITUDE = {
    "pk_it_exports_monthly": (20e6, 1.5e9),
    "pk_it_exports_fy": (0.4e9, 25e9),
    "pk_it_exports_fytd": (20e6, 25e9),
    "pk_it_exports_target": (0.5e9, 100e9),
    # counts: a national figure, not a city's, a firm's or a year's inflow
    "ca_tech_workers": (100e3, 10e6),
    "pk_it_professionals": (10e3, 10e6),
    "ca_tech_firms": (1e3, 1e6),
    "pk_erozgaar_centers": (1, 5e3),
}

