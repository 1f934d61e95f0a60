"""digest: turn a folder of news articles into a dated, email-ready digest.

The library is usable on its own; ``digest.cli`` is a thin click layer over it.

    >>> from digest import summarize_text
    >>> summary = summarize_text(text, sentences=3)
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
