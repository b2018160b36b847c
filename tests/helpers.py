"""Small helpers shared by test modules (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
LIBRARY = REPOSITORY / "scenarios"
#: The model core: modules that import no CLI, plotting, scenario parsing or file formats,
#: and the only code that reads parameters during a run.
CORE = frozenset(
    {
        "agents",
        "channels",
        "citizens",
        "counterfactual",
        "economy",
        "errors",
        "government",
        "interventions",
        "model",
        "names",
        "outputs",
        "parameters",
        "powers",
        "rng",
        "spec",
        "world",
    }
)


def short_scenario(tmp_path: Path, horizon: int = 8, name: str = "remittance_shock") -> Path:
    """A copy of a library scenario in ``tmp_path`` with a shorter horizon (for fast tests)."""
    text = (LIBRARY / f"{name}.yaml").read_text().replace("horizon: 40", f"horizon: {horizon}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path
