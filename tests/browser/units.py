"""Amounts as the dashboard shows them: the demo mint's token units and SOL, grouped."""

UNIT = 1_000_000  # the demo mint has 6 decimals
LAMPORTS_PER_SOL = 1_000_000_000


def grouped(base_units: int, per_unit: int = UNIT) -> str:
    """Base units as whole units with thousands separators and no trailing zeros:
    12_345_500_000 -> "12,345.5"."""
    whole, fraction = divmod(base_units, per_unit)
    digits = len(str(per_unit)) - 1
    return f"{whole:,}" + (f".{fraction:0{digits}d}".rstrip("0") if fraction else "")
