"""Reading a received mail's parts back, as a mail client would: the text of its plain or HTML
part, and the elements the HTML holds."""

from __future__ import annotations

from email.message import EmailMessage
from html.parser import HTMLParser


def part(mail: EmailMessage, kind: str) -> str:
    """The text of the ``plain`` or ``html`` part, with plain newlines."""
    found = mail.get_body((kind,))
    assert isinstance(found, EmailMessage)
    return str(found.get_content()).replace("\r\n", "\n")


class HtmlTags(HTMLParser):
    """The elements an HTML document holds, and the text of each ``<li>``."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.items: list[str] = []
        self._in_item = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_item = tag == "li"
        if self._in_item:
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_item = self._in_item and tag != "li"

    def handle_data(self, data: str) -> None:
        if self._in_item:
            self.items[-1] += data
