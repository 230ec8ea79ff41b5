#!/usr/bin/env python3
"""proxyatk.py - the proxy attacks' helpers: the origin, forbidden listeners, a syslog receiver, the proxy's launcher and hostile clients.

  servers DIR          origin on 127.0.0.1:OK_PORT; forbidden listeners on 127.0.0.2:OK_PORT,
                       [::1]:OK_PORT and 127.0.0.1:BAD_PORT (each accept noted in DIR/hits);
                       DEAD_PORT: bound on 127.0.0.1, never listening (connections refused);
                       DIR/log.sock -> DIR/log (syslog lines). Prints OK_PORT=.. BAD_PORT=..
                       DEAD_PORT=.. SERVERS_PID=.. once everything listens, then serves in the
                       background.
  launch DIR CMD...    binds 127.0.0.1:0, listens, runs CMD with the socket as fd 3 in the
                       background; prints PROXY_PORT=.. PROXY_PID=.. (connections queue from now).
  req PORT             sends stdin as is, prints the whole response.
  tunnel PORT TARGET   CONNECT TARGET, then GET / through the tunnel; prints everything.
  slow PORT OK N       N clients trickle a head byte by byte; one allowed request meanwhile.
  many PORT OK N       N concurrent connections, all closed, then one allowed request.
  sink                 a listener on 127.0.0.1 that accepts every connection and holds it, silent;
                       prints SINK_PORT=.. SINK_PID=.. once it listens, then holds in the background.
  hold PORT TARGET N WANT
                       N connections each send CONNECT TARGET; once WANT of them are tunnels (200),
                       prints HELD=WANT HOLD_PID=.. and holds them all, idle, in the background;
                       a refusal, or 60 s without an answer, exits 1 naming it.
  log FILE SKIP N      waits (10 s at most) until FILE has N lines after its first SKIP, prints
                       those (a line is logged just after the client sees the connection end).
"""
import os
import resource
import select
import signal
import socket
import sys
import threading
import time

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\norigin-ok\n"


def answer(conn, record):
    """Reads one request head, notes it, answers origin-ok."""
    conn.settimeout(30)
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        with open(record, "ab") as f:
            f.write(data.split(b"\r\n\r\n")[0].replace(b"\r\n", b" | ") + b"\n")
        conn.sendall(ANSWER)
    except OSError:
        pass
    conn.close()


def listener(family, addr, port, on_accept):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1024)
    return s, on_accept


def accept_loop(s, on_accept):
    while True:
        conn, peer = s.accept()
        threading.Thread(target=on_accept, args=(conn, s.getsockname()), daemon=True).start()


def syslog_loop(sock, out):
    with open(out, "ab", 0) as f:
        while True:
            f.write(sock.recv(8192).rstrip(b"\0") + b"\n")


def servers(d):
    hits = os.path.join(d, "hits")
    origin = os.path.join(d, "origin")

    def forbidden(conn, name):
        with open(hits, "a") as f:
            f.write("%s:%d\n" % name[:2])
        answer(conn, hits + ".req")

    ok = listener(socket.AF_INET, "127.0.0.1", 0, lambda c, n: answer(c, origin))
    port = ok[0].getsockname()[1]
    ls = [ok, listener(socket.AF_INET, "127.0.0.2", port, forbidden),
          listener(socket.AF_INET6, "::1", port, forbidden),
          listener(socket.AF_INET, "127.0.0.1", 0, forbidden)]
    dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    dead.bind(("127.0.0.1", 0))
    log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    log.bind(os.path.join(d, "log.sock"))
    os.chmod(os.path.join(d, "log.sock"), 0o666)
    open(hits, "a").close()
    open(os.path.join(d, "log"), "a").close()
    pid = os.fork()
    if pid:
        print("OK_PORT=%d BAD_PORT=%d DEAD_PORT=%d SERVERS_PID=%d" % (
            port, ls[3][0].getsockname()[1], dead.getsockname()[1], pid))
        return
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for s, fn in ls:
        threading.Thread(target=accept_loop, args=(s, fn), daemon=True).start()
    syslog_loop(log, os.path.join(d, "log"))


def launch(d, argv):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(4096)
    pid = os.fork()
    if pid == 0:
        os.dup2(s.fileno(), 3)
        os.set_inheritable(3, True)
        out = os.open(os.path.join(d, "proxy.err"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.execvp(argv[0], argv)
    print("PROXY_PORT=%d PROXY_PID=%d" % (s.getsockname()[1], pid))


def read_all(s, limit=1 << 20):
    data = b""
    try:
        while len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        data += b"\n[%s]" % str(e).encode()
    return data


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s


def req(port, data):
    s = connect(port)
    s.sendall(data)
    return read_all(s)


def tunnel(port, target):
    s = connect(port)
    s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target.encode(), target.encode()))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            return head + read_all(s)
        head += chunk
    if b" 200 " not in head.split(b"\r\n")[0]:
        return head + read_all(s)
    s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % target.encode())
    return head + read_all(s)


def allowed(port, ok):
    out = req(port, b"GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (ok, ok))
    return out.split(b"\r\n")[0].decode(errors="replace") + (" origin-ok" if out.endswith(b"origin-ok\n") else "")


def slow(port, ok, n):
    """Each slow client sends one byte of its head every 0.2 s and never finishes it."""
    head = b"GET http://127.0.0.1:%d/ HTTP/1.1\r\nX-Slow: " % ok + b"a" * 4096
    clients = [connect(port) for _ in range(n)]
    start = time.monotonic()
    print("allowed meanwhile:", allowed(port, ok))
    sent = [0] * n
    answers = [b""] * n
    open_ = set(range(n))
    while open_ and time.monotonic() - start < 30:
        r, _, _ = select.select([clients[i] for i in open_], [], [], 0.2)
        for s in r:
            i = clients.index(s)
            chunk = s.recv(4096)
            answers[i] += chunk
            if not chunk:
                open_.discard(i)
                print("slow %d closed after %.1f s: %s" % (
                    i, time.monotonic() - start, answers[i].split(b"\r\n")[0].decode()))
        for i in list(open_):
            if sent[i] < len(head):
                try:
                    clients[i].send(head[sent[i]:sent[i] + 1])
                    sent[i] += 1
                except OSError:
                    pass
    print("still open: %d" % len(open_))


def many(port, ok, n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 256)), hard))
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    # established ones send half a head (a forbidden target) and stay open, until no more
    # connections complete within a second
    p = select.poll()
    for s in socks:
        p.register(s, select.POLLOUT)
    established = 0
    while True:
        ready = p.poll(1000)
        if not ready:
            break
        for fd, ev in ready:
            p.unregister(fd)
            if ev & select.POLLOUT and not ev & (select.POLLERR | select.POLLHUP):
                established += 1
                try:
                    os.write(fd, b"CONNECT 127.0.0.2:%d HTTP/1.1\r\n" % ok)
                except OSError:
                    pass
    print("opened %d, established %d" % (len(socks), established))
    for s in socks:
        s.close()
    print("allowed after:", allowed(port, ok))


def more_fds(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 256)), hard))


def background(line):
    """Prints line with the child's pid; the child, detached, returns to hold what it has."""
    sys.stdout.flush()
    pid = os.fork()
    if pid:
        print(line % pid)
        sys.exit(0)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def sink():
    more_fds(8192)
    s = listener(socket.AF_INET, "127.0.0.1", 0, None)[0]
    s.listen(4096)
    background("SINK_PORT=%d SINK_PID=%%d" % s.getsockname()[1])
    kept = []
    while True:
        kept.append(s.accept()[0])


def hold(port, target, n, want):
    more_fds(n)
    head = b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target.encode(), target.encode())
    socks, got, p = [], {}, select.poll()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        s.sendall(head)
        socks.append(s)
        got[s.fileno()] = b""
        p.register(s, select.POLLIN)
    held = 0
    while held < want:
        ready = p.poll(60000)
        if not ready:
            sys.exit("hold: %d of %d tunnels after 60 s" % (held, want))
        for fd, _ in ready:
            data = os.read(fd, 4096)
            got[fd] += data
            if data and b"\r\n\r\n" not in got[fd]:
                continue
            p.unregister(fd)
            if not got[fd].startswith(b"HTTP/1.1 200 "):
                sys.exit("hold: a tunnel was refused: %r" % got[fd][:200])
            held += 1
    background("HELD=%d HOLD_PID=%%d" % held)
    while True:
        signal.pause()


def log(path, skip, n):
    end = time.monotonic() + 10
    while True:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")[skip:-1]
        if len(lines) >= n or time.monotonic() > end:
            break
        time.sleep(0.02)
    sys.stdout.buffer.write(b"".join(l + b"\n" for l in lines))


def main():
    cmd = sys.argv[1]
    if cmd == "servers":
        servers(sys.argv[2])
    elif cmd == "launch":
        launch(sys.argv[2], sys.argv[3:])
    elif cmd == "req":
        sys.stdout.buffer.write(req(int(sys.argv[2]), sys.stdin.buffer.read()))
    elif cmd == "tunnel":
        sys.stdout.buffer.write(tunnel(int(sys.argv[2]), sys.argv[3]))
    elif cmd == "slow":
        slow(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "many":
        many(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "sink":
        sink()
    elif cmd == "hold":
        hold(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "log":
        log(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit("proxyatk.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
