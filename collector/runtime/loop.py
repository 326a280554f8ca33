"""The collector's event loop: uvloop when it is installed, asyncio's own otherwise.

Probing thousands of hosts a minute is mostly opening and closing sockets, where uvloop's
libuv loop costs about a third of the CPU of asyncio's pure-Python one. It is optional (the
``collector`` extra installs it): everything behaves the same on the standard loop, only slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def uvloop_available() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def new_event_loop(*, prefer_uvloop: bool = True) -> asyncio.AbstractEventLoop:
    """A fresh loop of the best kind available (``prefer_uvloop=False``: asyncio's own)."""
    if prefer_uvloop and uvloop_available():
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``uvloop`` or ``asyncio``, for logs and benchmark output."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run(main: Coroutine[Any, Any, T], *, prefer_uvloop: bool = True) -> T:
    """``asyncio.run`` on the loop :func:`new_event_loop` picks."""

    def factory() -> asyncio.AbstractEventLoop:
        return new_event_loop(prefer_uvloop=prefer_uvloop)

    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
