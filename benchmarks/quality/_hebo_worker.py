"""HEBO behind a JSON-lines pipe; runs in benchmarks/.venv-hebo (HEBO pins numpy < 1.25).

Started by ``_adapters.HeboAdapter``. One JSON object per line on stdin, one reply per line
on stdout (anything HEBO or its dependencies print goes to stderr):

    {"op": "init", "space": [HEBO DesignSpace specs], "seed": 0}  -> {"ok": true}
    {"op": "ask"}                                                  -> {"params": {...}}
    {"op": "tell", "value": 1.23}   (for the last asked point)     -> {"ok": true}
    {"op": "close"}                                                -> {"ok": true}, exits

Errors are answered as {"error": "..."}.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def main() -> None:
    out = sys.stdout
    sys.stdout = sys.stderr  # keep stray prints (pymoo's notice, ...) off the protocol

    def reply(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    import numpy as np
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    torch.set_num_threads(1)
    opt: Any = None
    pending: Any = None
    reply({"ready": True})
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            op = msg["op"]
            if op == "init":
                np.random.seed(msg["seed"])
                torch.manual_seed(msg["seed"])
                opt = HEBO(DesignSpace().parse(msg["space"]), scramble_seed=msg["seed"])
                reply({"ok": True})
            elif op == "ask":
                pending = opt.suggest(n_suggestions=1)
                row = pending.iloc[0].to_dict()
                reply({"params": {k: _plain(v) for k, v in row.items()}})
            elif op == "tell":
                opt.observe(pending, np.array([[float(msg["value"])]]))
                pending = None
                reply({"ok": True})
            elif op == "close":
                reply({"ok": True})
                return
            else:
                reply({"error": f"unknown op {op!r}"})
        except Exception:
            reply({"error": traceback.format_exc()})


if __name__ == "__main__":
    main()
