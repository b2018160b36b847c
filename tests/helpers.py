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
        "design",
        "economy",
        "errors",
        "government",
        "interventions",
        "kernels",
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


def tiny_scenario(tmp_path: Path, name: str = "tiny", horizon: int = 2, members: int = 2, extra: str = "") -> Path:
    """A small valid scenario file (a Russian cut of remittances) for fast CLI tests."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\ndescription: a small test scenario\nhorizon: {horizon}\nmembers: {members}\nseed: 3\n"
        "events:\n  - variable: flow\n    op: multiply\n    value: 0.7\n    channels: [remittances]\n"
        f"    powers: [Russia]\n    at: 1\n{extra}",
        encoding="utf-8",
    )
    return path


def invoke(*args: object):
    """Run the casim CLI in this process (stdout and stderr together in ``.output``)."""
    from typer.testing import CliRunner

    from casim.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def assert_clean(result, code: int, *needles: str) -> None:
    """The command ended with ``code``, no traceback, an ``error`` line (if it failed), and the needles."""
    assert not (result.exception and not isinstance(result.exception, SystemExit)), (
        f"unhandled {type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}:\n{result.output}"
    assert "Traceback" not in result.output
    if code not in (0,):
        errors = [line for line in result.output.splitlines() if line.startswith(("error", "Error", "Usage"))]
        assert errors or "Invalid value" in result.output, result.output
    for needle in needles:
        assert needle in result.output, f"{needle!r} not in:\n{result.output}"
