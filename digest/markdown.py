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


# A code fence line: three or more backticks (no backtick after them) or tildes, indented at most 3.
_FENCE = re.compile(r" {0,3}(`{3,}(?=[^`]*$)|~{3,})(.*)")


def drop_code_blocks(text: str) -> str:
    """``text`` without its fenced code blocks (```` ``` ```` or ``~~~`` to a closing fence of the
    same kind and at least the same length), each left as a paragraph break: code is not prose
    to summarize, and its lines would be read as sentences. A fence never closed is dropped
    alone and the text after it kept (a stray one would otherwise swallow the article).
    """
    if "```" not in text and "~~~" not in text:
        return text
    lines = text.split("\n")
    fences = [(i, m.group(1), m.group(2).strip()) for i, line in enumerate(lines) if (m := _FENCE.match(line))]
    # Closing fences: fence lines with nothing after the marks. For each, the longest closing
    # fence of its kind from there on, so that a fence with no closer is known at once.
    closers = {"`": [], "~": []}  # kind → [(line, length)]
    for i, marks, rest in fences:
        if not rest:
            closers[marks[0]].append((i, len(marks)))
    longest = {kind: _longest_from(found) for kind, found in closers.items()}
    at = {"`": 0, "~": 0}  # each kind's first closer not yet passed
    dropped = [False] * len(lines)
    resume = 0  # lines before this are inside a dropped block
    for i, marks, _ in fences:
        if i < resume:
            continue
        kind, found = marks[0], closers[marks[0]]
        k = at[kind]
        while k < len(found) and found[k][0] <= i:
            k += 1
        at[kind] = k
        if k == len(found) or longest[kind][k] < len(marks):
            dropped[i] = True  # never closed: only this line goes
            continue
        while found[k][1] < len(marks):  # every closer passed here lies inside this block
            k += 1
        end = found[k][0]
        for j in range(i, end + 1):
            dropped[j] = True
        lines[i] = ""  # the block becomes a paragraph break
        dropped[i] = False
        resume = end + 1
    return "\n".join(line if not gone else "" for line, gone in zip(lines, dropped))


def _longest_from(found: list[tuple[int, int]]) -> list[int]:
    longest = [0] * len(found)
    best = 0
    for k in range(len(found) - 1, -1, -1):
        best = max(best, found[k][1])
        longest[k] = best
    return longest


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
