"""A local SMTP server that keeps what it accepts: the outside world for fault tests and the bench.

aiosmtpd runs in a thread of the calling process. A message counts as accepted only when the
server answers "250" to its DATA while the client is still connected, as a real relay would
take responsibility for it. For fault tests the sink can stall:

- `stall_data_to=ADDRESS`: the first message to ADDRESS waits before the "250" (the client is
  mid-send, nothing is accepted yet) until `release()`; if the client goes away meanwhile,
  the message is dropped.
- `stall_quit=True`: after accepting a message, the first QUIT waits until `release()` (the
  message is delivered, the client is still in the SMTP session).

`stalled` is set when a stall begins.
"""

from __future__ import annotations

import asyncio
import email
import logging
import socket
import threading
from collections import Counter
from email.message import Message

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: a thousand messages would flood the output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        if sink.stall_data_to and sink.stall_data_to in envelope.rcpt_tos and not sink.stalled.is_set():
            sink.stalled.set()
            while not sink.released.is_set():
                await asyncio.sleep(0.02)  # cancelled here if the client disconnects
            if server.transport is None or server.transport.is_closing():
                return "451 Client went away"
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with sink.lock:
            sink.messages.append(message)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        sink = self.sink
        if sink.stall_quit and sink.messages and not sink.stalled.is_set():
            sink.stalled.set()
            while not sink.released.is_set():
                await asyncio.sleep(0.02)
        return "221 Bye"


class SmtpSink:
    def __init__(self, *, stall_data_to: str | None = None, stall_quit: bool = False) -> None:
        self.stall_data_to = stall_data_to
        self.stall_quit = stall_quit
        self.stalled = threading.Event()
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.messages: list[Message] = []
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def release(self) -> None:
        self.released.set()

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def message_id_counts(self) -> Counter:
        with self.lock:
            return Counter(message["Message-ID"] for message in self.messages)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.released.set()
        self._controller.stop()
