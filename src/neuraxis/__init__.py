"""neuraxis: planning and evaluating neuromodulation therapy for chronic back pain.

The package is light to import: NumPy only. Subpackages follow the chain
anatomy -> leads -> field -> fibers -> axons -> perception; heavy optional
dependencies (NEURON, matplotlib, gmsh) load inside the functions that need them.
"""

from neuraxis._logging import logger, set_log_level
from neuraxis._validate import NeuraxisInputError

__version__ = "0.1.0"

__all__ = ["NeuraxisInputError", "__version__", "logger", "set_log_level"]
