"""Digest → HTML email, plain text and Markdown; the only module importing jinja2 and css_inline.

Templates get a typed contract: the ``Digest`` (plus the optional per-recipient
``unsubscribe_url``) and nothing else. Everything they need to format values is a filter
registered here, from ``digest.formatting``, so the three formats agree on dates, meta lines
and escaping.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import css_inline
import jinja2

from digest.errors import RenderError
from digest.formatting import (  # the filters; clean, format_long_day … stay importable from here
    _fill,  # noqa: F401 - tests measure it as render._fill
    clean,
    file_name,
    format_clock,
    format_day,
    format_long_day,
    format_month,
    format_number,
    hang,
    headline,
    markdown_escape,
    markdown_url,
    meta_parts,
    plural,
    preheader,
    safe_url,
    source_label,
    underline,
    wrap,
)
from digest.models import Digest, Rendered

log = logging.getLogger(__name__)

#: The templates shipped with the project; a user's templates folder is searched first.
PROJECT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
if not PROJECT_TEMPLATES.is_dir():
    # Installed from a wheel: the same files are packaged as digest/templates.
    PROJECT_TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Gmail clips a message whose HTML part is larger than about 102 KB.
GMAIL_CLIP_BYTES = 102_000

#: The template holding the CSS rules to move into style="" attributes.
INLINE_CSS_TEMPLATE = "email.css"


# --- public API ------------------------------------------------------------------------------


def render_digest(
    digest: Digest,
    templates_dir: str | Path | None = None,
    *,
    unsubscribe_url: str | None = None,
) -> Rendered:
    """Render a digest to HTML (CSS inlined, email-ready), plain text and Markdown."""
    return _render(digest, _environment(_templates_key(templates_dir)), unsubscribe_url)


def render_index(
    entries: Sequence[tuple[dt.date, str]],
    title: str,
    templates_dir: str | Path | None = None,
) -> str:
    """Render the archive page linking every past digest, newest first.

    ``entries`` are ``(date, href)`` pairs, the href relative to the page.
    """
    newest_first = sorted(entries, key=lambda entry: entry[0], reverse=True)
    env = _environment(_templates_key(templates_dir))
    return _run(env, "index.html.j2", entries=newest_first, title=title)


def fit_for_email(
    digest: Digest,
    templates_dir: str | Path | None = None,
    max_html_bytes: int = GMAIL_CLIP_BYTES,
    *,
    unsubscribe_url: str | None = None,
) -> tuple[Digest, Rendered]:
    """Shrink a digest until its HTML fits in ``max_html_bytes`` (UTF-8), and render it.

    Stories are switched to title-only from the end. If even a digest of titles only is too
    large, stories are dropped from the end as a last resort (and a warning logged). A digest
    that already fits is returned unchanged, as the same object.
    """
    env = _environment(_templates_key(templates_dir))
    html_of: dict[int, str] = {}  # by id(): hashing a digest of 10,000 stories costs more than a render
    rendered: list[Digest] = []  # keeps every candidate (and so its id) alive

    def size(candidate: Digest) -> int:
        if id(candidate) not in html_of:
            rendered.append(candidate)
            html_of[id(candidate)] = _render_html(candidate, env, unsubscribe_url)
        return len(html_of[id(candidate)].encode("utf-8"))

    def finish(best: Digest) -> tuple[Digest, Rendered]:
        return best, _render(best, env, unsubscribe_url, html=html_of.get(id(best)))

    total = len(digest.stories)
    # A digest of thousands of stories is never rendered whole: the first stories alone already
    # exceed the limit, which proves the whole cannot fit (every story adds bytes) and bounds
    # the search below, so every render stays near the limit's size.
    full_over, full_size = _first_over(lambda k: size(dataclasses.replace(digest, stories=digest.stories[:k])),
                                       max_html_bytes, total)
    if full_over is None and size(digest) <= max_html_bytes:
        return finish(digest)

    brief = tuple(story if story.title_only else dataclasses.replace(story, title_only=True) for story in digest.stories)

    @functools.cache
    def with_full(count: int) -> Digest:
        """The first ``count`` stories keep their summary; the rest are listed by title."""
        if count >= total:
            return digest
        return dataclasses.replace(digest, stories=digest.stories[:count] + brief[count:])

    titles_only = with_full(0)

    @functools.cache
    def keeping(count: int) -> Digest:
        """Only the first ``count`` stories, all by title."""
        return dataclasses.replace(titles_only, stories=brief[:count], unlisted=total - count)

    titles_over, titles_size = _first_over(lambda k: size(dataclasses.replace(titles_only, stories=brief[:k])),
                                           max_html_bytes, total)
    if titles_over is None and size(titles_only) <= max_html_bytes:
        # with_full(k) holds the first k stories in full, so it is over the limit from full_over on
        # (the probe's size, a little less than its own, serves the search's first guess).
        full = _largest_fitting(lambda k: size(with_full(k)), max_html_bytes, 0, full_over or total, full_size)
        return finish(with_full(full))

    # keeping(k) holds the first k titles, so it is over the limit from titles_over on. When no
    # probe was over, keeping(total) is titles_only again, whose (too large) size is known.
    if titles_over is None and titles_only.unlisted == 0:
        titles_size = size(titles_only)
    kept = _largest_fitting(lambda k: size(keeping(k)), max_html_bytes, 0, titles_over or total, titles_size)
    log.warning(
        "digest %s: even titles alone exceed %s bytes; %s of %s stories left out of the email",
        digest.date, max_html_bytes, total - kept, total,
    )
    return finish(keeping(kept))


# --- rendering -------------------------------------------------------------------------------


def _render(digest: Digest, env: jinja2.Environment, unsubscribe_url: str | None,
            html: str | None = None) -> Rendered:
    context = {"digest": digest, "unsubscribe_url": unsubscribe_url}
    return Rendered(
        html=html if html is not None else _render_html(digest, env, unsubscribe_url),
        text=_run(env, "digest.txt.j2", **context),
        markdown=_run(env, "digest.md.j2", **context),
    )


def _render_html(digest: Digest, env: jinja2.Environment, unsubscribe_url: str | None) -> str:
    html = _run(env, "digest.html.j2", digest=digest, unsubscribe_url=unsubscribe_url)
    try:
        return _inliner(_run(env, INLINE_CSS_TEMPLATE)).inline(html)
    except Exception as exc:  # css_inline raises its own InlineError / ValueError
        raise RenderError(f"could not inline the CSS of digest.html.j2: {exc}") from exc


@functools.lru_cache(maxsize=16)
def _inliner(css: str) -> css_inline.CSSInliner:
    """Inline ``css`` into style="" attributes; keep the template's own <style> block as written.

    That block holds only the @media rules (dark mode, small screens), which cannot be inlined;
    leaving it in place keeps it after ``<meta charset>``. Never fetch anything remote.
    """
    return css_inline.CSSInliner(
        inline_style_tags=False,
        keep_style_tags=True,
        keep_link_tags=False,
        load_remote_stylesheets=False,
        extra_css=css,
        minify_css=True,
    )


def _run(env: jinja2.Environment, name: str, **context: object) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise RenderError(f"{where}:{exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template not found: {exc.name}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"{name}: {exc.message}") from exc
    except UnicodeDecodeError as exc:
        raise RenderError(f"{name} (or a template it uses) is not UTF-8 text") from exc
    except Exception as exc:  # noqa: BLE001 - an expression of a (user's) template failed: {{ 1/0 }}, a bad argument
        raise RenderError(f"{_template_line(exc, name)}: {type(exc).__name__}: {exc}") from exc


def _template_line(exc: BaseException, name: str) -> str:
    """``file:line`` of the template line where ``exc`` was raised (jinja2 puts it in the traceback)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else name


def _first_over(size: Callable[[int], int], budget: int, total: int, start: int = 32) -> tuple[int | None, int | None]:
    """The first ``k`` of ``start``, 4×``start``, 16×``start`` … below ``total`` with ``size(k) > budget``,
    and that size; (None, None) when there is none."""
    k = start
    while k < total:
        if (measured := size(k)) > budget:
            return k, measured
        k *= 4
    return None, None


def _largest_fitting(size: Callable[[int], int], budget: int, lo: int, hi: int, size_hi: int | None = None) -> int:
    """Largest ``k`` in ``[lo, hi]`` with ``size(k) <= budget``, given ``size(lo) <= budget``
    and ``size`` growing with ``k``.

    Each story adds roughly the same bytes, so guess by linear interpolation (two or three
    renders for 2,000 stories); fall back to halving when a guess gains little, which bounds
    the worst case at about twice a plain bisection. A ``size_hi`` already known to exceed the
    budget (a lower bound of ``size(hi)``) spares rendering ``hi``.
    """
    size_lo = size(lo)
    size_hi = size(hi) if size_hi is None else size_hi
    if size_hi <= budget:
        return hi
    interpolate, next_one = True, False
    while hi - lo > 1:  # invariant: size(lo) <= budget < size(hi)
        if next_one:
            mid = lo + 1
        elif interpolate and size_hi > size_lo:
            guess = lo + (budget - size_lo) * (hi - lo) // (size_hi - size_lo)
            mid = min(max(guess, lo + 1), hi - 1)
        else:
            mid = (lo + hi) // 2
        width = hi - lo
        size_mid = size(mid)
        if size_mid <= budget:
            # A guess that fits with less than an average story's bytes to spare is most
            # likely the answer: try one story more (once) before halving the rest.
            next_one = not next_one and (budget - size_mid) * (hi - mid) < size_hi - size_mid
            lo, size_lo = mid, size_mid
        else:
            hi, size_hi = mid, size_mid
            next_one = False
        interpolate = (hi - lo) * 4 <= width * 3  # the guess cut at least a quarter
    return lo


# --- environment ---------------------------------------------------------------------------


def _templates_key(templates_dir: str | Path | None) -> Path | None:
    if templates_dir is None:
        return None
    path = Path(templates_dir).expanduser().resolve()
    if not path.is_dir():
        raise RenderError(f"templates folder not found: {path}")
    return path


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's file cache, except that a cache file that cannot be read or written is as if absent:
    the template is compiled again and the render goes on. Jinja2 lets some of these errors through
    (a full disk, the folder removed by a temp cleaner under a long-running ``digest run``, a path
    that is not a folder, a damaged file), and the cache must never be what stops a build."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception as exc:  # whatever the file holds or however it fails, compiling is correct
            log.debug("compiled template cache not read: %s", exc)
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.debug("compiled template cache not written: %s", exc)


def _bytecode_cache(directory: str | None = None) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (keyed by each template's source, so an edited template
    is compiled afresh): compiling them costs every `digest` command about 60 ms, a cached rebuild
    a tenth of its time. By default jinja2's own per-user folder in the temp directory (made
    private, its owner checked); where that cannot be made, templates are simply compiled each time."""
    try:
        return _BytecodeCache(directory)
    except (OSError, RuntimeError):
        return None


@functools.lru_cache(maxsize=16)
def _environment(templates_dir: Path | None) -> jinja2.Environment:
    """One Environment per templates folder: the user's folder first, then the project's."""
    loaders = [jinja2.FileSystemLoader(templates_dir)] if templates_dir else []
    loaders.append(jinja2.FileSystemLoader(PROJECT_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # ``digest.html.j2`` ends in ``.j2``, so name the double extensions explicitly.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "html", "htm", "xml"),
            disabled_extensions=("txt.j2", "md.j2", "txt", "md"),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(
        clean=clean,
        headline=headline,
        day=format_day,
        long_day=format_long_day,
        month=format_month,
        clock=format_clock,
        num=format_number,
        plural=plural,
        meta=meta_parts,
        source_label=source_label,
        filename=file_name,
        safe_url=safe_url,
        preheader=preheader,
        wrap=wrap,
        hang=hang,
        underline=underline,
        md=markdown_escape,
        md_url=markdown_url,
    )
    return env
