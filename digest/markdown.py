"""Markdown marks out of article text: images, links, bold, headings. Pure functions over strings.

Every function here runs in time linear in its input, on any input: these run on every
paragraph of every file, and a file full of unclosed marks must not stall a build.
"""

from __future__ import annotations

import re

# Each pattern consumes a run it cannot use (from its "[" to the first "]", or to the end) and
# gives it back unchanged: tried afresh from every "[" of "[a [a [a ...", the plain patterns
# scanned to the end from each, so a 100 KB paragraph of brackets took minutes.
_MD_IMAGE = re.compile(r"!\[[^\]]*+(?:\]\([^)]*+(\))?)?")
_MD_LINK = re.compile(r"\[(?:([^\]]++)(?:\](\([^)\s]+(?:\s+\"[^\"]*\")?\)))?)?")
# No closing "#"s in the pattern: "(.*?)\s*#*\s*$" rescanned a run of "#"s from every character.
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$")


def markdown_heading(line: str) -> str | None:
    """The text of a Markdown ``# Heading`` line (closing ``#``s dropped), else None."""
    m = _MD_HEADING.match(line)
    return None if m is None else m.group(1).rstrip().rstrip("#").rstrip()


def _unemphasize(text: str) -> str:
    """``**bold**`` and ``__bold__`` → their text, as ``(\\*\\*|__)(?=\\S)(.+?)(?<=\\S)\\1`` would, in linear time.

    That regex looked for a closing mark from every opening one; a line of unclosed ``**a``
    took minutes. Here an opening mark with no closing mark after it on its line also means
    none after any later opening mark of that kind, so each kind is given up at its first failure.
    """
    if "\n" in text:
        return "\n".join(_unemphasize(line) for line in text.split("\n"))
    out: list[str] = []
    done = i = 0
    ahead = {"**": text.find("**"), "__": text.find("__")}  # each kind's next mark at or after i, or -1
    while True:
        for kind, at in ahead.items():
            if -1 < at < i:
                ahead[kind] = text.find(kind, i)
        starts = [(at, kind) for kind, at in ahead.items() if at != -1]
        if not starts:
            break
        start, mark = min(starts)
        if start + 2 >= len(text) or text[start + 2].isspace():
            i = start + 1
            continue
        close = text.find(mark, start + 3)
        while close != -1 and text[close - 1].isspace():
            close = text.find(mark, close + 1)
        if close == -1:
            ahead[mark] = -1  # hopeless from here on
            i = start + 1
            continue
        out.append(text[done:start])
        out.append(text[start + 2 : close])
        done = i = close + 2
    out.append(text[done:])
    return "".join(out)


def strip_markdown(paragraph: str) -> str:
    """A paragraph without Markdown images, link targets, bold marks or a heading's ``#``s."""
    if "![" in paragraph:
        paragraph = _MD_IMAGE.sub(lambda m: "" if m.group(1) else m.group(0), paragraph)
    if "[" in paragraph:
        paragraph = _MD_LINK.sub(lambda m: m.group(1) if m.group(2) else m.group(0), paragraph)
    if "**" in paragraph or "__" in paragraph:
        paragraph = _unemphasize(paragraph)
    if (heading := markdown_heading(paragraph)) is not None:
        paragraph = heading
    return paragraph.strip()
