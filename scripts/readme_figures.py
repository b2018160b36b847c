"""Regenerate the figures README.md shows (docs/images/), from the current model.

Run from the repository root (about three minutes; the analyst's figures need
``pip install -e '.[analysis]'``):

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
        casim(
            "sensitivity",
            "scenarios/remittance_shock.yaml",
            "--outcome",
            "alignment:Tajikistan:Russia:peak",
            "--out",
            str(out / "sensitivity"),
        )
        shutil.copy(out / "sensitivity" / "sensitivity.png", IMAGES / "sensitivity_remittance.png")
        casim(
            "robust",
            "scenarios/eu_vocational_push.yaml",
            "scenarios/eu_values_first.yaml",
            "scenarios/middle_corridor.yaml",
            "scenarios/middle_corridor_cofinancing.yaml",
            "--outcome",
            "alignment:*:EU:horizon",
            "--threshold",
            "0.005",
            "--out",
            str(out / "robust"),
        )
        shutil.copy(out / "robust" / "robust.png", IMAGES / "robust_eu.png")
        casim(
            "discover",
            "scenarios/luban_expansion.yaml",
            "--outcome",
            "alignment:Kyrgyzstan:China:horizon",
            "--threshold",
            "0.03",
            "--out",
            str(out / "discover"),
        )
        shutil.copy(out / "discover" / "discovery.png", IMAGES / "discover_luban.png")
    print(f"figures written to {IMAGES}")


if __name__ == "__main__":
    main()
