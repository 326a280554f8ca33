"""An AMI test peer that writes what Asterisk's manager.c writes, byte for byte where it matters.

Asterisk is not packaged for this OS, so tests talk to this instead. It reproduces the wire
details a client gets wrong: the one-line banner, CRLF framing, ActionID placement, the
``Challenge``/MD5 ``Login`` exchange, ``Authentication failed`` followed by a closed socket,
``FullyBooted`` arriving unasked after login, list answers (``EventList: start`` … items …
``…Complete`` with ``ListItems``), ``Response: Error`` with Asterisk's stray ``\\n`` for
"No endpoints found\\n", both forms of ``Command`` output, and ``Goodbye`` on ``Logoff``.

It runs in a thread on 127.0.0.1, port 0, because the agent's client is synchronous.
The framing lives in ``ami_framing``, what the PBX holds in ``ami_scenario`` and how it
answers each action in ``ami_actions``; this module is the login, the dispatch and the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.ami_actions import ACTIONS, newchannel_event, unknown_action
from tests.support.ami_framing import AmiConnection, Message
from tests.support.ami_scenario import AmiScenario

_CHALLENGE = "584631790"


class _Session(AmiConnection):
    """One client connection, run to completion in its handler thread."""

    def __init__(self, sock: socket.socket, server: AmiTestServer) -> None:
        super().__init__(sock)
        self.server = server
        self.scenario = server.scenario
        self.authenticated = False

    def run(self) -> None:
        self.write(f"Asterisk Call Manager/{self.scenario.ami_version}\r\n")
        while (message := self.read_message()) is not None:
            self.server.received.append(message)
            if not self.dispatch(message):
                return

    def dispatch(self, message: Message) -> bool:
        """Answer one action; False closes the connection (as manager.c does)."""
        headers = {k.lower(): v for k, v in message}
        action = headers.get("action", "")
        aid = f"ActionID: {headers['actionid']}\r\n" if "actionid" in headers else ""
        if action.lower() == "logoff":
            self.send("Response: Goodbye\r\n", aid, "Message: Thanks for all the fish.\r\n\r\n")
            return False
        if action.lower() == "challenge":
            return self.challenge(headers, aid)
        if action.lower() == "login":
            return self.login(headers, aid)
        if not self.authenticated or action in self.scenario.denied:
            self.error(aid, "Permission denied")
            return True
        handler = ACTIONS.get(action.lower())
        if handler is None:
            self.error(aid, unknown_action(action))
            return True
        if self.scenario.chatter:
            self.send(newchannel_event())
        handler(self, self.scenario, headers, aid)
        return True

    def challenge(self, headers: dict[str, str], aid: str) -> bool:
        if not self.scenario.md5_challenge or headers.get("authtype", "").lower() != "md5":
            self.error(aid, "Must specify AuthType")
        else:
            self.send("Response: Success\r\n", aid, f"Challenge: {_CHALLENGE}\r\n\r\n")
        return True

    def login(self, headers: dict[str, str], aid: str) -> bool:
        s = self.scenario
        if headers.get("authtype", "").lower() == "md5":
            expected = hashlib.md5((_CHALLENGE + s.secret).encode()).hexdigest()
            ok = s.md5_challenge and headers.get("key") == expected
        else:
            ok = headers.get("secret") == s.secret
        if headers.get("username") != s.username or not ok:
            self.error(aid, "Authentication failed")
            return False  # manager.c returns -1: the session is torn down
        self.authenticated = True
        self.send("Response: Success\r\n", aid, "Message: Authentication accepted\r\n\r\n")
        self.send(
            "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 86400\r\n"
            "LastReload: 3600\r\nStatus: Fully Booted\r\n\r\n"
        )
        return True


class _Handler(socketserver.BaseRequestHandler):
    server: AmiTestServer

    def handle(self) -> None:
        self.request.settimeout(10)
        # Replies go out in several writes; without this, Nagle + delayed ACK add 40 ms each.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with contextlib.suppress(OSError):  # the client went away; a real PBX shrugs too
            _Session(self.request, self.server).run()


class AmiTestServer(socketserver.ThreadingTCPServer):
    """The fake PBX; ``port`` to connect to, ``received`` holds every action it was sent."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, scenario: AmiScenario) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scenario = scenario
        self.received: list[Message] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def actions(self) -> list[str]:
        """The ``Action:`` of every message received, in order."""
        return [dict(m).get("Action", "") for m in self.received]


@contextmanager
def running_ami_server(scenario: AmiScenario | None = None) -> Iterator[AmiTestServer]:
    """Serve ``scenario`` on 127.0.0.1 for the duration of the block."""
    server = AmiTestServer(scenario or AmiScenario())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A loopback port with nothing listening: a PBX whose Asterisk is not running."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
