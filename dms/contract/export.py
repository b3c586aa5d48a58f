"""Write the JSON Schema of every message kind: `python -m dms.contract.export docs/contract`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dms.contract.messages import MODELS, LiveRequest


def schemas() -> dict[str, str]:
    """File name -> JSON text, exactly as committed under docs/contract/."""
    out = {}
    for kind, model in {**MODELS, "cmd": LiveRequest}.items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema["$id"] = f"https://dms.example/schemas/v1/{kind}.json"
        schema["x-topic"] = f"dms/v1/<vehicle_id>/{kind}"
        out[f"{kind}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    target = Path((argv or sys.argv[1:] or ["docs/contract"])[0])
    target.mkdir(parents=True, exist_ok=True)
    for name, text in schemas().items():
        (target / name).write_text(text, encoding="utf-8")
        print(f"wrote {target / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
