"""Page sections as values: a section function returns a :class:`Section` holding what it shows,
in order, instead of showing it as a side effect.

In a notebook the returned value shows itself (IPython calls :meth:`Section._ipython_display_`,
which displays each part exactly as the function used to, so the executed notebook and its page
are unchanged); in a test it is a plain value to read: its text form, its HTML, its parts. The
model is ydata-profiling's: compute a description, turn it into a structure, render it.

Every display of the report layer goes through :func:`emit`: inside a section it is collected,
outside one (a header, a cell of an analyst's own) it is displayed at once.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_collecting: list[list[tuple[Any, dict]]] = []  # one list of parts per section being run


@dataclass
class Section:
    """What a page section shows: ``parts``, each (object, display options) in order."""

    name: str
    parts: list[tuple[Any, dict]] = field(default_factory=list)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for obj, options in self.parts:
            display(obj, **options)

    def texts(self) -> list[str]:
        """The text form of each part: a sentence, a note, a table's caption and rows, a
        chart's finding, a recorded figure."""
        return [_text_of(obj, options) for obj, options in self.parts]

    def __str__(self) -> str:
        return "\n".join(self.texts())

    def _repr_html_(self) -> str:
        return "".join(_html_of(obj, options) for obj, options in self.parts)


def emit(obj: Any, **options: Any) -> None:
    """Show ``obj`` (``IPython.display.display(obj, **options)``), or collect it into the
    section being run."""
    if _collecting:
        _collecting[-1].append((obj, options))
        return
    from IPython.display import display

    display(obj, **options)


def section(function: Callable[..., None]) -> Callable[..., Section]:
    """Make a page section return its :class:`Section` instead of showing it. A section run
    inside another adds its parts to the outer one too."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Section:
        _collecting.append([])
        try:
            function(*args, **kwargs)
        finally:
            parts = _collecting.pop()
        if _collecting:
            _collecting[-1].extend(parts)
        return Section(function.__name__, parts)

    return run


def _text_of(obj: Any, options: dict) -> str:
    if isinstance(obj, dict) and "text/markdown" in obj:  # a sentence: its Markdown escapes off
        return re.sub(r"\\(.)", r"\1", str(obj["text/markdown"]))
    if isinstance(obj, dict):
        return str(obj.get("text/plain", ""))
    alt = ((options.get("metadata") or {}).get("image/png") or {}).get("alt")
    if alt is not None:
        return f"[chart] {alt}"
    data = getattr(obj, "data", None)
    return _plain(data) if isinstance(data, str) else repr(obj)


def _html_of(obj: Any, options: dict) -> str:
    if isinstance(obj, dict):
        if "text/html" in obj:
            return str(obj["text/html"])
        if "text/markdown" in obj:
            return f"<p>{html.escape(str(obj['text/markdown']))}</p>"
        return ""
    data = getattr(obj, "data", None)
    if isinstance(data, str):
        return data
    return f"<p>{html.escape(_text_of(obj, options))}</p>"


def _plain(markup: str) -> str:
    """The text of HTML markup, its spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
