"""Write the exchange format's JSON Schemas: `python -m dealer_portal.exchange.schema docs/exchange`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dealer_portal.exchange.models import KINDS, VERSION, ExchangeFile

BASE = f"https://dms.example/schemas/dealer-exchange/v{VERSION}"


def schemas() -> dict[str, str]:
    """Path under docs/exchange/ -> JSON text, exactly as committed."""
    out = {}
    for name, model in {"file": ExchangeFile, **KINDS}.items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema["$id"] = f"{BASE}/{name}.json"
        schema["x-version"] = VERSION
        out[f"v{VERSION}/{name}.schema.json"] = (
            json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    target = Path((argv or sys.argv[1:] or ["docs/exchange"])[0])
    for name, text in schemas().items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
