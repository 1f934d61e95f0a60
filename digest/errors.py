"""Named exceptions raised by the library; ``cli.py`` turns them into one-line messages.

None of these depend on click: the library can be used without the command line.
"""

from __future__ import annotations


class DigestError(Exception):
    """Base class for every error the library raises on purpose."""

    exit_code = 1


class ConfigError(DigestError):
    """One or more settings are invalid; ``problems`` lists every one, each with its key."""

    exit_code = 2

    def __init__(self, problems: list[str], path: str | None = None):
        self.problems = list(problems)
        self.path = path
        where = f"{path}: " if path else ""
        if len(self.problems) == 1:
            message = f"{where}{self.problems[0]}"
        else:
            message = f"{where}{len(self.problems)} problems: " + "; ".join(self.problems)
        super().__init__(message)


class ArticleError(DigestError):
    """An input file could not be turned into an article (empty, binary, unreadable ...)."""

    exit_code = 3

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnknownAlgorithm(DigestError):
    """The summarization algorithm name is not registered."""

    exit_code = 2

    def __init__(self, name: str, known: list[str]):
        self.name = name
        self.known = known
        super().__init__(f"unknown algorithm {name!r}; choose one of: {', '.join(known)}")


class RenderError(DigestError):
    """A template is missing or broken, or the HTML could not be inlined."""

    exit_code = 1


class OutputError(DigestError):
    """A digest or state file could not be written."""

    exit_code = 1

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")


class DeliveryError(DigestError):
    """A digest could not be delivered."""

    exit_code = 4


class StateError(DigestError):
    """The state folder or database cannot be used (locked, corrupt, unwritable)."""

    exit_code = 5


class FetchError(DigestError):
    """A feed or page could not be downloaded or read (timeout, HTTP error, too large, not a feed)."""

    exit_code = 3

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")
