"""The framing between the sandbox pool and its workers: length-prefixed JSON over a socketpair.

Every frame is a 4-byte big-endian length and a JSON object. The channel is an AF_UNIX socket, not a
pipe: ``open("/proc/self/fd/N")`` of a socket fails (ENXIO), so a registered function told to write to
a model-chosen path cannot reach it. Each request carries an id and a random nonce that the answer
must echo; the reader treats anything else (a bad length, undecodable JSON, a wrong id or nonce, bytes
nobody asked for) as a ``ProtocolViolation``, after which the worker is killed, never trusted again.
"""

from __future__ import annotations

import json
import select
import socket
import time
from typing import Any

MAX_FRAME = 64 * 1024 * 1024
_HEADER = 4


class ProtocolViolation(Exception):
    """The peer sent something that is not the answer that was asked for."""


def encode(message: dict[str, Any]) -> bytes:
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form: send it escaped
        data = json.dumps(message, separators=(",", ":")).encode()
    return len(data).to_bytes(_HEADER, "big") + data


class Channel:
    """One end of the socketpair, reading and writing whole frames.

    The worker's end blocks. The pool's end (``blocking=False``) never waits past a deadline (a
    ``time.monotonic()`` value), and with ``exit_fd`` (a pidfd of the worker) a read also ends as soon
    as the worker exits, even while a process it forked still holds the other end open.
    """

    def __init__(self, sock: socket.socket, blocking: bool, exit_fd: int | None = None):
        self.sock, self.exit_fd = sock, exit_fd
        self.buffer = bytearray()
        self._poll: Any = None
        sock.setblocking(blocking)
        if not blocking:
            self._poll = select.poll()
            self._poll.register(sock, select.POLLIN)
            if exit_fd is not None:
                self._poll.register(exit_fd, select.POLLIN)

    def send(self, message: dict[str, Any], deadline: float | None = None) -> None:
        """Send one frame; TimeoutError if the peer does not take it before the deadline."""
        data = memoryview(encode(message))
        if self._poll is None:
            self.sock.sendall(data)
            return
        writable = select.poll()
        writable.register(self.sock, select.POLLOUT)
        while data:
            try:
                data = data[self.sock.send(data):]
            except BlockingIOError:
                timeout = _remaining(deadline)
                if not writable.poll(None if timeout is None else timeout * 1000):
                    raise TimeoutError from None

    def read(self, deadline: float | None = None) -> dict[str, Any]:
        """The next frame; TimeoutError past the deadline, EOFError when the peer is gone."""
        while True:
            frame = self._take()
            if frame is not None:
                return frame
            if self._poll is not None:
                timeout = _remaining(deadline)
                ready = {fd for fd, _ in self._poll.poll(None if timeout is None else timeout * 1000)}
                if self.sock.fileno() not in ready:
                    if self.exit_fd is not None and self.exit_fd in ready:
                        raise EOFError  # the worker exited and sent nothing more
                    if timeout is not None and time.monotonic() >= deadline:
                        raise TimeoutError
                    continue
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buffer += chunk

    def _take(self) -> dict[str, Any] | None:
        if len(self.buffer) < _HEADER:
            return None
        size = int.from_bytes(self.buffer[:_HEADER], "big")
        if size > MAX_FRAME:
            raise ProtocolViolation(f"a frame of {size} bytes announced (limit {MAX_FRAME})")
        if len(self.buffer) < _HEADER + size:
            return None
        data = bytes(self.buffer[_HEADER:_HEADER + size])
        del self.buffer[:_HEADER + size]
        try:
            message = json.loads(data)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ProtocolViolation(f"an undecodable frame ({exc})") from None
        if not isinstance(message, dict):
            raise ProtocolViolation("a frame that is not a JSON object")
        return message

    def ensure_quiet(self) -> None:
        """Raise ProtocolViolation if bytes arrived that no request asked for (EOFError if the peer is gone)."""
        if self.buffer:
            raise ProtocolViolation(f"{len(self.buffer)} unsolicited bytes")
        try:
            pending = self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        if not pending:
            raise EOFError
        raise ProtocolViolation("unsolicited bytes between calls")


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def expect_answer(message: dict[str, Any], request_id: int, nonce: str) -> dict[str, Any]:
    """``message`` if it answers the request ``(request_id, nonce)``; ProtocolViolation otherwise."""
    if message.get("id") != request_id:
        raise ProtocolViolation(f"an answer for request {message.get('id')!r} while {request_id} was pending")
    if message.get("nonce") != nonce:
        raise ProtocolViolation(f"an answer to request {request_id} with a wrong nonce")
    return message
