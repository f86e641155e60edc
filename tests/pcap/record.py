# SPDX-License-Identifier: Apache-2.0
"""Record real TLS handshakes on 127.0.0.1 and write them as captures.

Servers (Python ssl): an ingress that resets ClientHellos without SNI (as Envoy
does when no filter chain matches, see tests/sim/fake_ingress.py) and serves
api.example.com; a server that sends unrecognized_name (112) for unknown names;
a TLS 1.2 server with an expired certificate; a refused port; a silent port (a
listener whose backlog is full, so SYNs get no answer). Clients: the real
`openssl s_client` and `curl`. Each client talks through a loopback relay that
records both directions' bytes with their times; pcapgen.py writes them with our
own frame headers, so no capture privilege is needed.

    record.py OUTDIR   -> OUTDIR/conversations.json and the PKI under OUTDIR/pki"""

import base64
import datetime
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim"))
import certs  # noqa: E402

HOST = "api.example.com"


def has_sni(hello):
    """Whether a TLS record holding a ClientHello carries server_name (bounded parse)."""
    try:
        if len(hello) < 9 or hello[0] != 22 or hello[5] != 1:
            return False
        p = 9 + 2 + 32
        p += 1 + hello[p]
        p += 2 + struct.unpack("!H", hello[p:p + 2])[0]
        p += 1 + hello[p]
        end = p + 2 + struct.unpack("!H", hello[p:p + 2])[0]
        p += 2
        while p + 4 <= min(end, len(hello)):
            t, n = struct.unpack("!HH", hello[p:p + 4])
            if t == 0:
                return True
            p += 4 + n
    except (IndexError, struct.error):
        pass
    return False


def reset_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


class Servers:
    def __init__(self, pki_dir):
        pki = certs.PKI(pki_dir)
        ca = pki.ca("ca", "Test CA")
        self.ca = ca.cert
        good = pki.issue(ca, "good", HOST, dns=[HOST])
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        old = pki.issue(ca, "expired", HOST, dns=[HOST],
                        not_before=now - datetime.timedelta(days=60),
                        not_after=now - datetime.timedelta(days=30))
        other_ca = pki.ca("other", "Other CA")
        self.other_ca = other_ca.cert
        self.ports = {}
        self.socks = []
        self._listen("ingress", self._ingress, self._ctx(good))
        ctx = self._ctx(good)
        ctx.sni_callback = lambda s, name, c: (
            None if name in (None, HOST) else ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME)
        self._listen("names", self._tls, ctx)
        ctx = self._ctx(old)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self._listen("expired", self._tls, ctx)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.ports["refused"] = s.getsockname()[1]
        s.close()
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(0)
        self.ports["silent"] = silent.getsockname()[1]
        self.socks.append(silent)
        for _ in range(3):  # fill the backlog: later SYNs are dropped
            f = socket.socket()
            f.setblocking(False)
            try:
                f.connect(("127.0.0.1", self.ports["silent"]))
            except BlockingIOError:
                pass
            self.socks.append(f)

    @staticmethod
    def _ctx(pair):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pair.cert, pair.key)
        return ctx

    def _listen(self, name, handler, ctx):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        self.ports[name] = s.getsockname()[1]
        self.socks.append(s)

        def loop():
            while True:
                try:
                    c, _ = s.accept()
                except OSError:
                    return
                threading.Thread(target=handler, args=(c, ctx), daemon=True).start()
        threading.Thread(target=loop, daemon=True).start()

    def _ingress(self, c, ctx):
        c.settimeout(5)
        try:
            first = c.recv(4096, socket.MSG_PEEK)
        except OSError:
            c.close()
            return
        if not has_sni(first):
            reset_close(c)
            return
        self._tls(c, ctx)

    @staticmethod
    def _tls(c, ctx):
        c.settimeout(5)
        try:
            t = ctx.wrap_socket(c, server_side=True)
            t.recv(1024)
            t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            t.close()
        except (OSError, ssl.SSLError):
            c.close()


class Relay:
    """Listens on 127.0.0.1:port, forwards to the target port and records."""

    def __init__(self, target, convs, name):
        self.target, self.convs, self.name = target, convs, name
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(16)
        self.port = self.s.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, addr = self.s.accept()
            except OSError:
                return
            threading.Thread(target=self._conn, args=(c, addr), daemon=True).start()

    def _conn(self, c, addr):
        ev = []
        conv = {"name": self.name, "client": addr[1], "server": self.target, "events": ev}
        self.convs.append(conv)
        ev.append([time.time(), "c", "SYN", ""])
        u = socket.socket()
        u.settimeout(1.5)
        try:
            u.connect(("127.0.0.1", self.target))
        except ConnectionRefusedError:
            ev.append([time.time(), "s", "RST", ""])
            reset_close(c)
            return
        except OSError:
            ev.append([time.time(), "c", "SYN", ""])  # the retransmission, then give up
            reset_close(c)
            return
        u.settimeout(None)
        ev.append([time.time(), "s", "SYNACK", ""])
        lock = threading.Lock()
        state = {"reset": None}

        def pump(a, b, d):
            while True:
                try:
                    data = a.recv(65536)
                except OSError:
                    with lock:
                        if state["reset"] is None:
                            ev.append([time.time(), d, "RST", ""])
                            state["reset"] = b
                    try:
                        b.shutdown(socket.SHUT_RD)  # wakes the other pump; RST after join
                    except OSError:
                        pass
                    return
                with lock:
                    if state["reset"] is not None:
                        return
                    if data:
                        ev.append([time.time(), d, "DATA", base64.b64encode(data).decode()])
                    else:
                        ev.append([time.time(), d, "FIN", ""])
                try:
                    if not data:
                        b.shutdown(socket.SHUT_WR)
                        return
                    b.sendall(data)
                except OSError:
                    return
        t1 = threading.Thread(target=pump, args=(c, u, "c"))
        t2 = threading.Thread(target=pump, args=(u, c, "s"))
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        # only now, with no thread blocked on it, does SO_LINGER 0 send the reset
        for s in (c, u):
            if s is state["reset"]:
                reset_close(s)
            else:
                s.close()


def sclient(port, *args):
    subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] + list(args),
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=20)


def curl(port, url_host, *args):
    subprocess.run(["curl", "-sS", "-m", "5", "-k"] + list(args) +
                   ["https://%s:%d/" % (url_host, port)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)


def run(out):
    srv = Servers(os.path.join(out, "pki"))
    convs = []
    r = {k: Relay(p, convs, k) for k, p in srv.ports.items()}
    ing, names = r["ingress"].port, r["names"].port
    # the ingress: with SNI (TLS 1.2 and 1.3, curl), without SNI (reset)
    sclient(ing, "-servername", HOST, "-tls1_2", "-CAfile", srv.ca)
    sclient(ing, "-servername", HOST, "-tls1_3")
    curl(ing, HOST, "--resolve", "%s:%d:127.0.0.1" % (HOST, ing))
    sclient(ing, "-noservername")
    curl(ing, "127.0.0.1")
    # alerts: unrecognized_name from the server, unknown_ca from the client
    sclient(names, "-servername", "unknown.example.com", "-tls1_2")
    sclient(names, "-servername", HOST, "-tls1_2", "-CAfile", srv.other_ca,
            "-verify_return_error")
    sclient(names, "-noservername", "-tls1_2")
    # an expired certificate on TLS 1.2
    sclient(r["expired"].port, "-servername", HOST)
    # a refused and a silent port
    sclient(r["refused"].port)
    sclient(r["silent"].port)
    time.sleep(0.5)
    with open(os.path.join(out, "conversations.json"), "w") as f:
        json.dump(convs, f, indent=1)
    for s in srv.socks:
        s.close()


if __name__ == "__main__":
    run(sys.argv[1])
