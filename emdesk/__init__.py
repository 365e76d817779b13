"""emdesk: explore Gaussian mixture fits with the EM algorithm.

This module imports nothing heavy; the engine lives in :mod:`emdesk.engine`, the file layer in
:mod:`emdesk.io` and the desktop application in :mod:`emdesk.gui`.
"""

__version__ = "0.1.0"
