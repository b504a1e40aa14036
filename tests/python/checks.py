"""What every check script shares: one line per check, and a stop at the first failure."""


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")
