"""Reading health endpoints and Prometheus scrapes in tests, and the metric names the shipped Grafana
dashboard queries."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.support.services import REPO

DASHBOARD = REPO / "deploy" / "grafana" / "dms-back-office.json"
_METRIC = re.compile(r"\b((?:dms|process)_[a-z_]+)\b")


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    """(status, body) of a GET; an HTTP error status is returned, not raised; nobody listening: 0."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except urllib.error.URLError as exc:
        return 0, str(exc.reason)


def sample(scrape: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text scrape (the sum over label sets matching `labels`)."""
    values = [
        s.value
        for family in text_string_to_metric_families(scrape)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert values, f"{name} {labels or ''} not in the scrape"
    return sum(values)


def sample_names(scrape: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(scrape) for s in family.samples}


def dashboard_metrics() -> set[str]:
    """Every metric name the dashboard's queries use."""
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    return {name for expr in exprs for name in _METRIC.findall(expr)}
