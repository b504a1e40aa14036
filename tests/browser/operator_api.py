"""The operator API as any client calls it: JSON over HTTP with a bearer token. The
browser tests read what the API recorded (the activity log, webhook deliveries) to hold
the page against, and put back settings a test changed so the tests after it see the
demo as it was."""

import json
import urllib.error
import urllib.request
import uuid


class ApiError(Exception):
    def __init__(self, status: int, problem):
        super().__init__(f"the API answered {status}: {problem}")
        self.status = status
        self.problem = problem


class OperatorApi:
    def __init__(self, base_url: str, token: str):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token

    def call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                problem = json.loads(text)
            except ValueError:
                problem = text
            raise ApiError(error.code, problem) from None
        return json.loads(payload) if payload else None

    def get(self, path: str):
        return self.call("GET", path)

    def activity_entry(self, balance_id: int, signature: str) -> dict | None:
        """The activity log's movement entry for a transaction, or None while the server
        has not recorded it yet."""
        log = self.get(f"/managed-balance/{balance_id}/activity-log?page=1&size=200")
        found = [entry for entry in log["items"] if entry.get("signature") == signature and entry.get("amount")]
        return found[0] if found else None

    def top_up(self, balance_id: int, amount: str) -> dict:
        """A manual top-up ("balance adjustment") signed by the server's authority."""
        return self.call("POST", "/balance-adjustment",
                         {"managedBalanceId": balance_id, "amount": amount, "requestId": str(uuid.uuid4())})

    def set_thresholds(self, balance_id: int, min_: int, target: int, max_: int, decimals: int = 6) -> None:
        """Thresholds in base units; nothing is sent when the chain already has them."""
        current = self.get(f"/managed-balance/{balance_id}")
        wanted = {"min": min_, "target": target, "max": max_}
        if all(int(current[name]["baseUnits"]) == value for name, value in wanted.items()):
            return
        body = {name: tokens(value, decimals) for name, value in wanted.items()}
        self.call("PATCH", f"/managed-balance/{balance_id}/thresholds?changeMode=sign", body)


def tokens(base_units: int, decimals: int = 6) -> str:
    """Base units as the token-unit decimal string the API takes: 5500500000 -> "5500.5"."""
    whole, fraction = divmod(base_units, 10 ** decimals)
    return f"{whole}.{fraction:0{decimals}d}".rstrip("0").rstrip(".")
