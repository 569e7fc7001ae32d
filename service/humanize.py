"""Numbers as an analyst writes them: US$437 million, C$45.5 billion, 1.45 million, +25.6%, 22nd."""

from __future__ import annotations

CURRENCY_PREFIX = {"USD": "US$", "CAD": "C$", "PKR": "Rs ", "EUR": "€", "GBP": "£"}
_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def _scaled(value: float, extra: int = 0) -> str:
    for size, word in _SCALES:
        if abs(value) >= size * 0.9995:  # 999.97 million reads "1 billion", not "1000 million"
            number = value / size
            digits = (2 if abs(number) < 10 else 1 if abs(number) < 100 else 0) + extra
            text = f"{number:.{digits}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return f"{text} {word}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{2 + extra}f}".rstrip("0").rstrip(".")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def amount(value: float | None, unit: str, extra: int = 0) -> str:
    """A value in its unit, for people (`extra` more digits than usual, to tell close values apart)."""
    if value is None:
        return "—"
    if unit == "percent":
        text = f"{value:.{1 + extra}f}"
        return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
    if unit == "rank":
        return ordinal(int(round(value)))
    if unit == "count":
        return _scaled(value, extra)
    prefix = CURRENCY_PREFIX.get(unit)
    return f"{prefix}{_scaled(value, extra)}" if prefix else f"{_scaled(value, extra)} {unit}"


def distinct(values: list[float | None], unit: str) -> list[str]:
    """`values` as `amount` writes them, with as many digits as it takes for different values to read
    differently: a revision from 422.1 to 422.4 million is not 'US$422 million -> US$422 million'."""
    present = {v for v in values if v is not None}
    for extra in range(0, 10):
        texts = [amount(v, unit, extra) for v in values]
        if len({amount(v, unit, extra) for v in present}) == len(present):
            return texts
    return [amount(v, unit, 9) for v in values]


def delta(old: float | None, new: float | None, unit: str) -> str:
    """The change from old to new, signed, in the unit (points for percentages, places for ranks)."""
    if old is None or new is None:
        return ""
    diff = new - old
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    if unit == "percent":
        return f"{sign}{abs(diff):.1f} pts"
    if unit == "rank":
        places = int(round(abs(diff)))
        return f"{sign}{places} place{'s' if places != 1 else ''}"
    return sign + amount(abs(diff), unit)


def percent_change(old: float | None, new: float | None) -> str:
    if old in (None, 0) or new is None:
        return ""
    pct = 100.0 * (new - old) / abs(old)  # type: ignore[operator]
    return f"{'+' if pct > 0 else '−' if pct < 0 else '±'}{abs(pct):.1f}%"
