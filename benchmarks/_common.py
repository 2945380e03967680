"""Set-up shared by the benchmark scripts.

Importing this module pins every BLAS/OpenMP runtime to one thread, so it
must be imported before numpy; ``cpu_model`` names the machine in reports.
"""

import os
import platform

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_var] = "1"


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where available."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
