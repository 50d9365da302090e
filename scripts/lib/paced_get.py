"""Paced HTTP/1.1 GET requests for the benchmarks: TOTAL requests at RATE a second on CONNECTIONS
keep-alive connections, each request sent at its scheduled time on a connection that is free.
Prints one line: answers, how many were not 2xx, elapsed seconds. Exits 1 if any was not 2xx.

    python3 paced_get.py HOST PORT PATH RATE TOTAL CONNECTIONS
"""
import selectors
import socket
import sys
import time


def complete(data):
    """Whether `data` holds a whole response (headers and Content-Length bytes of body)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    for line in data[:end].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(data) >= end + 4 + int(line.split(b":")[1])
    return True


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rate, total, connections = float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    selector = selectors.DefaultSelector()
    free, received = [], {}
    for _ in range(connections):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        free.append(sock)
        received[sock] = b""
    start = time.monotonic()
    sent = answered = failed = 0
    while answered < total:
        # Send every request whose time has come, while a connection is free.
        while sent < total and free and start + sent / rate <= time.monotonic():
            free.pop().sendall(request)
            sent += 1
        wait = max(0.0, start + sent / rate - time.monotonic()) if sent < total and free else 1.0
        for key, _ in selector.select(timeout=wait):
            sock = key.fileobj
            chunk = sock.recv(65536)
            if not chunk:
                sys.exit(f"the server closed a connection after {answered} answers")
            received[sock] += chunk
            if complete(received[sock]):
                failed += not received[sock].startswith(b"HTTP/1.1 2")
                received[sock] = b""
                answered += 1
                free.append(sock)
    print(f"{answered} answers, {failed} not 2xx, {time.monotonic() - start:.1f} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
