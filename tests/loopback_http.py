"""The HTTP server of the loopback doubles (PubMed, NCBI, OpenAI-compatible endpoints)."""

from http.server import ThreadingHTTPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threading server with a listen backlog like real servers' (socketserver's default of 5 overflows when
    a translation sends a batch of concurrent requests on a loaded machine, and the client sees its connection
    reset)."""

    request_queue_size = 128
