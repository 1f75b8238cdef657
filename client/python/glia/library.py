"""``import glia.library`` loads the mechanism library into NEURON."""

from . import _manager

_manager.load_library()
