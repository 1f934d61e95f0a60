"""Only the optional C speed-up lives here; everything else is in pyproject.toml.

``digest._setchoice`` computes what ``digest/wordmodel.py`` and ``digest/setchoice.py`` compute,
several times faster. ``optional=True``: where it cannot be compiled (no C compiler), the
install still succeeds and digest uses the Python modules, with the same summaries.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("digest._setchoice", ["digest/_setchoice.c"], optional=True)])
