"""gunicorn's threaded worker, guarded against slow clients when nothing is in front of it
(``make run`` serves gunicorn directly; in production nginx buffers requests, deploy/nginx.conf).

gunicorn's gthread worker gives a connection a thread as soon as its first bytes arrive, then
reads the request headers blocking: a client that sends half its headers and stops holds that
thread for good, and a few dozen such clients hold them all (/healthz stops answering).
:class:`GuardedThreadWorker` changes two things, nothing else:

- **Heads are gathered off the thread pool.** A thread takes whatever bytes have arrived,
  without waiting, into the parser's own buffer; until they hold the blank line that ends the
  headers, the connection goes straight back to the worker's poller (gunicorn's own deferral)
  and gets a thread again when more bytes arrive: a thread never waits on a client's head. A
  client that has not finished its head ``HEAD_TIMEOUT`` seconds after it started is closed;
  one that sends nothing for gunicorn's ``keepalive`` seconds too.
- **No blocking read or write waits forever.** Client sockets are blocking with a timeout of
  ``IO_TIMEOUT`` seconds (a body that stops flowing, a client that stops reading the response:
  the connection is closed, like nginx's ``client_body_timeout`` and ``send_timeout``).

Kept in this module, not in ``api``: gunicorn loads the worker class in its master, which must
not import the app (LightGBM does not survive fork).
"""

from __future__ import annotations

import io
import socket
import time

from gunicorn.workers import gthread

HEAD_TIMEOUT = 10.0    # seconds a client has to send its whole request line and headers
IO_TIMEOUT = 10.0      # seconds a blocking read or write of a client socket may wait
HEAD_BYTES = 65536     # more than gunicorn accepts as a head (limit_request_* in gunicorn.conf.py)


class _TimedSocket(socket.socket):
    """A client socket whose blocking mode has a timeout (gunicorn switches the mode itself)."""

    __slots__ = ()

    def setblocking(self, flag: bool) -> None:
        super().settimeout(IO_TIMEOUT if flag else 0.0)


class _TimedListener:
    """The listening socket, handing out :class:`_TimedSocket` client sockets."""

    def __init__(self, listener):
        self._listener = listener

    def accept(self):
        sock, address = self._listener.accept()
        return _TimedSocket(sock.family, sock.type, sock.proto, fileno=sock.detach()), address

    def __getattr__(self, name):
        return getattr(self._listener, name)


def head_complete(data: bytes) -> bool:
    """Whether ``data`` holds a whole request line and headers (or more than any head may be:
    gunicorn's parser then refuses it)."""
    return b"\r\n\r\n" in data or b"\n\n" in data or len(data) >= HEAD_BYTES


class GuardedThreadWorker(gthread.ThreadWorker):
    """gthread, with request heads gathered off the thread pool and timed socket I/O (module docstring)."""

    def accept(self, listener):
        super().accept(_TimedListener(listener))

    def handle(self, conn):
        if not conn.initialized:
            conn.init()  # the parser, whose buffer keeps what arrives of the head
        unreader = getattr(conn.parser, "unreader", None)
        if conn.is_http2 or unreader is None:
            return super().handle(conn)
        now = time.monotonic()
        started = getattr(conn, "head_started", None) or now
        closed = False
        conn.sock.setblocking(False)  # a timed socket would wait for data inside recv, MSG_DONTWAIT or not
        while not head_complete(unreader.buf.getvalue()):  # take what has arrived, never wait for more
            try:
                chunk = conn.sock.recv(HEAD_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                return False
            if not chunk:
                closed = True
                break
            unreader.buf.seek(0, io.SEEK_END)
            unreader.buf.write(chunk)
        if closed or head_complete(unreader.buf.getvalue()):
            conn.head_started = None                  # the next request on this connection starts its own clock
            conn.data_ready = True
            return super().handle(conn)               # the parser reads the head from its buffer
        if now >= started + HEAD_TIMEOUT:             # too slow to send its head: closed at once (a graceful
            try:                                      # close would linger 2 s on the worker's main thread)
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return False
        conn.head_started = started
        conn.data_ready = False
        return gthread._DEFER                         # back to the poller until more bytes arrive
