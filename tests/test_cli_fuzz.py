"""Random command lines: whatever is typed, casim answers with a message and an exit code.

Hypothesis throws at least 2,000 argument lists at ``casim run``, ``validate`` and
``report`` (options, numbers at and beyond their limits, paths to devices, pipes, folders,
broken and valid files). Every one must end in exit 0, 1 or 2 with no traceback and no
"internal error". Runs are kept small (a 1-quarter scenario, members below 100 or beyond the
cap) and figures are not drawn, so the test checks argument handling, not plotting.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import invoke, tiny_scenario

EXAMPLES = 2000


def _playground() -> dict[str, str]:
    """Files and folders the command lines may name, made once."""
    root = Path(tempfile.mkdtemp(prefix="casim-fuzz-"))
    good = tiny_scenario(root, "good", horizon=1, members=2)
    broken = root / "broken.yaml"
    broken.write_text("name: [unclosed\n  - : :\n")
    wrong = root / "wrong.yaml"
    wrong.write_text("name: x\ndescription: y\nhorizon: -1\nevents: 3\n")
    folder = root / "folder"
    folder.mkdir()
    (folder / "a.yaml").write_text(good.read_text())
    fifo = root / "pipe.yaml"
    os.mkfifo(fifo)
    run = root / "done"
    result = invoke("run", good, "--no-plots", "-q", "--out", run)
    assert result.exit_code == 0, result.output
    return {
        "good": str(good),
        "broken": str(broken),
        "wrong": str(wrong),
        "folder": str(folder),
        "fifo": str(fifo),
        "run": str(run),
        "missing": str(root / "missing.yaml"),
        "devzero": "/dev/zero",
        "devnull": "/dev/null",
        "root": str(root),
        "proc": "/proc/casim/none",
        "long": str(root / ("n" * 300)),
    }


PLACES = _playground()
NUMBERS = st.one_of(
    st.integers(-5, 99),
    st.sampled_from([2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, 100_001, 10**9]),
).map(str)
TEXT = st.one_of(
    st.sampled_from(["", "-", "--", "1e20", "nan", "inf", "-0", "1.5", "0x10", "ü", "a b", "\x00x", "${HOME}"]),
    st.text(max_size=12),
)
PATH = st.sampled_from(list(PLACES.values()))
OUT = st.one_of(PATH, st.builds(lambda k: str(Path(PLACES["root"]) / "outs" / f"o{k}"), st.integers(0, 10**9)))
OPTION = st.one_of(
    st.tuples(st.sampled_from(["--members", "-n", "--seed", "-s", "--member", "--explain-members"]), NUMBERS),
    st.tuples(st.sampled_from(["--members", "--seed", "--member", "--explain-members"]), TEXT),
    st.tuples(st.sampled_from(["--out", "-o"]), OUT),
    st.tuples(st.sampled_from(["--plots", "--no-plots", "--report", "--fixed", "--quiet", "-q", "--bogus", "--help"])),
)
ARGS = st.tuples(
    st.sampled_from(["run", "validate", "report"]),
    st.lists(st.one_of(PATH, TEXT), max_size=2),
    st.lists(OPTION, max_size=4),
).map(lambda t: [t[0], *t[1], *[part for option in t[2] for part in option]])


@pytest.fixture(scope="module", autouse=True)
def quick_and_contained():
    """Runs write into the playground (not the repository) and draw no figures."""
    import casim.plots

    saved_cwd, saved_figures = os.getcwd(), casim.plots.save_figures
    os.chdir(PLACES["root"])
    casim.plots.save_figures = lambda paired, folder, dpi=110: []
    try:
        yield
    finally:
        casim.plots.save_figures = saved_figures
        os.chdir(saved_cwd)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@given(ARGS)
def test_random_command_lines_end_cleanly(args):
    result = invoke(*args)
    unhandled = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not unhandled, f"casim {' '.join(args)}: {type(result.exception).__name__}: {result.exception}"
    assert result.exit_code in (0, 1, 2), f"casim {' '.join(args)} exited {result.exit_code}:\n{result.output}"
    assert "Traceback" not in result.output and "internal error" not in result.output, (
        f"casim {' '.join(args)}:\n{result.output}"
    )
