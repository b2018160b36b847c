"""casim: a scenario engine for Central Asia's geopolitics.

An agent-based model (on Mesa) of Kazakhstan, Kyrgyzstan, Tajikistan, Turkmenistan and
Uzbekistan between Russia, China, the EU, the United States and Turkey.

The main entry points are :func:`simulate` (an ensemble as an ``xarray.Dataset``),
:func:`run_experiment` (scenarios against their paired baselines on common members),
:class:`CentralAsiaModel` (the Mesa model), :func:`load_parameters` and
:func:`load_scenario`. They are imported lazily so that ``import casim`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("casim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

_LAZY = {
    "simulate": "casim.api",
    "run_experiment": "casim.experiment",
    "Experiment": "casim.experiment",
    "CentralAsiaModel": "casim.model",
    "RunSpec": "casim.spec",
    "Quarter": "casim.spec",
    "Intervention": "casim.interventions",
    "load_parameters": "casim.paramfile",
    "load_scenario": "casim.scenario",
    "Scenario": "casim.scenario",
    "CasimError": "casim.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'casim' has no attribute '{name}'")
