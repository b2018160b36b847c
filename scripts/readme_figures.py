"""Regenerate the figures README.md shows (docs/images/), from the current model.

Run from the repository root (about half a minute):

    python scripts/readme_figures.py

The app's screenshot (docs/images/app.png) comes from the browser test: run
``CASIM_SCREENSHOTS=docs/images python -m pytest -m browser``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

IMAGES = Path("docs/images")


def casim(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "casim", *args, "--quiet"], check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        casim("run", "scenarios/remittance_shock.yaml", "--out", str(out / "run"))
        for name in ("difference", "alignment"):
            shutil.copy(out / "run" / f"{name}.png", IMAGES / f"remittance_shock_{name}.png")
        casim(
            "compare",
            "scenarios/remittance_shock.yaml",
            "scenarios/eu_vocational_push.yaml",
            "scenarios/middle_corridor.yaml",
            "--out",
            str(out / "compare"),
        )
        shutil.copy(out / "compare" / "compare_kazakhstan.png", IMAGES / "compare_kazakhstan.png")
        casim("explain", "scenarios/cpc_disruption.yaml", "--state", "Kazakhstan", "--out", str(out / "explain"))
        shutil.copy(out / "explain" / "explain_kazakhstan.png", IMAGES / "cpc_disruption_explain_kazakhstan.png")
    print(f"figures written to {IMAGES}")


if __name__ == "__main__":
    main()
