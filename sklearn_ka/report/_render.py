"""A tiny document model rendered both as Markdown and as standalone HTML (no dependency)."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["Document"]


def _fmt(v: Any, precision: int = 4) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.{precision}g}" if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-3) else f"{v:.{precision}f}"
    return str(v)


class Document:
    """Blocks (headings, paragraphs, lists, tables, images, code) rendered as Markdown and HTML.

    Parameters
    ----------
    title : str
        The document's title (a level-1 heading).
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: list[tuple] = []

    def h(self, level: int, text: str) -> None:
        """A heading; ``level`` 1 is the first level below the title."""
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        """A paragraph."""
        self.blocks.append(("p", text))

    def ul(self, items: Iterable[Any]) -> None:
        """A bulleted list."""
        self.blocks.append(("ul", list(items)))

    def code(self, text: str) -> None:
        """A preformatted block."""
        self.blocks.append(("code", text))

    def table(self, frame: pd.DataFrame, precision: int = 4) -> None:
        """A table; floats are printed with ``precision`` digits."""
        self.blocks.append(("table", frame.reset_index(drop=True), precision))

    def img(self, path: str, caption: str) -> None:
        """An image (a path relative to the document) with a caption."""
        self.blocks.append(("img", path, caption))

    # ---------------------------------------------------------------- markdown
    def markdown(self) -> str:
        """The document as Markdown."""
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                out += ["#" * (b[1] + 1) + " " + b[2], ""]
            elif kind == "p":
                out += [b[1], ""]
            elif kind == "ul":
                out += [f"- {item}" for item in b[1]] + [""]
            elif kind == "code":
                out += ["```", b[1], "```", ""]
            elif kind == "table":
                df, prec = b[1], b[2]
                out.append("| " + " | ".join(str(c) for c in df.columns) + " |")
                out.append("|" + "---|" * len(df.columns))
                for _, r in df.iterrows():
                    out.append("| " + " | ".join(_fmt(v, prec).replace("|", "\\|") for v in r) + " |")
                out.append("")
            elif kind == "img":
                out += [f"![{b[2]}]({b[1]})", "", f"*{b[2]}*", ""]
        return "\n".join(out)

    # -------------------------------------------------------------------- html
    def html(self) -> str:
        """The document as a standalone HTML page (inline style, no external resources)."""
        e = html.escape
        out = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>", f"<title>{e(self.title)}</title>",
               "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
               "table{border-collapse:collapse;margin:1em 0;font-size:90%}"
               "td,th{border:1px solid #bbb;padding:3px 7px;text-align:right}th{background:#eee}"
               "img{max-width:100%}pre{background:#f4f4f4;padding:1em;overflow-x:auto}</style>",
               "</head><body>", f"<h1>{e(self.title)}</h1>"]
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                out.append(f"<h{b[1] + 1}>{e(b[2])}</h{b[1] + 1}>")
            elif kind == "p":
                out.append(f"<p>{e(b[1])}</p>")
            elif kind == "ul":
                out.append("<ul>" + "".join(f"<li>{e(str(i))}</li>" for i in b[1]) + "</ul>")
            elif kind == "code":
                out.append(f"<pre>{e(b[1])}</pre>")
            elif kind == "table":
                df, prec = b[1], b[2]
                rows = ["<tr>" + "".join(f"<th>{e(str(c))}</th>" for c in df.columns) + "</tr>"]
                for _, r in df.iterrows():
                    rows.append("<tr>" + "".join(f"<td>{e(_fmt(v, prec))}</td>" for v in r) + "</tr>")
                out.append("<table>" + "".join(rows) + "</table>")
            elif kind == "img":
                out.append(f"<figure><img src='{e(b[1])}' alt='{e(b[2])}'><figcaption>{e(b[2])}</figcaption></figure>")
        out.append("</body></html>")
        return "\n".join(out)
