"""User text is stored as plain text: tags are stripped, then rendered escaped."""

from __future__ import annotations

import html

import nh3


def plain_text(value: str) -> str:
    cleaned = nh3.clean((value or "").replace("\x00", ""), tags=set(), clean_content_tags={"script", "style"})
    cleaned = html.unescape(cleaned).replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in cleaned.strip().split("\n"))


def single_line(value: str) -> str:
    return " ".join(plain_text(value).split())
