import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "vi-python" / "examples"))


@pytest.fixture(scope="session")
def vi_bench():
    """The vi-bench binary: $VI_BENCH, else target/{release,debug}/vi-bench, else on PATH."""
    candidates = [os.environ.get("VI_BENCH"), ROOT / "target" / "release" / "vi-bench", ROOT / "target" / "debug" / "vi-bench"]
    for c in candidates:
        if c and Path(c).is_file():
            return str(c)
    found = shutil.which("vi-bench")
    if found:
        return found
    pytest.skip("no vi-bench binary (build it with `cargo build -p vi-bench` or set VI_BENCH)")


@pytest.fixture
def sigint_raises():
    """Ctrl-C raises KeyboardInterrupt during the test, whatever the parent did: a process
    started in the background (`cmd &` in a script, nohup) inherits SIGINT ignored, and then
    `_thread.interrupt_main()` does nothing."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
