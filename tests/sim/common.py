# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the simulated Apigee environment (Python 3 standard library only).

Nothing here talks to anything but 127.0.0.1.  Every server started through this
package stops by itself: see Watchdog (lifetime, parent death, idle timeout).
"""

import datetime as _dt
import json
import os
import socket
import struct
import sys
import threading
import time

LOOPBACK = "127.0.0.1"


# ---------------------------------------------------------------- time helpers

def utcnow():
    return _dt.datetime.now(_dt.timezone.utc)


def parse_time(s):
    """RFC 3339 ('2025-05-19T05:00:00Z', with optional fraction) -> aware datetime."""
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    # Python 3.11's fromisoformat accepts fractions of any length.
    return _dt.datetime.fromisoformat(s)


def rfc3339(dt, frac=0):
    """aware datetime -> '2025-05-19T05:00:00Z' (frac=3 -> milliseconds, 9 -> nanoseconds)."""
    dt = dt.astimezone(_dt.timezone.utc)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if frac == 3:
        base += ".%03d" % (dt.microsecond // 1000)
    elif frac == 9:
        base += ".%06d000" % dt.microsecond
    return base + "Z"


def epoch_ms(dt):
    return str(int(dt.timestamp() * 1000))


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration (what AGE columns show)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return "%dm" % minutes if sec == 0 else "%dm%ds" % (minutes, sec)
    if minutes < 180:
        return "%dm" % minutes
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return "%dh" % hours if m == 0 else "%dh%dm" % (hours, m)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd" % (hours // 24) if h == 0 else "%dd%dh" % (hours // 24, h)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        y = hours // 24 // 365
        return "%dy" % y if dy == 0 else "%dy%dd" % (y, dy)
    return "%dy" % (hours // 24 // 365)


# ---------------------------------------------------------------- files

def write_json(path, obj, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_text(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def log(msg):
    sys.stderr.write("[sim %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---------------------------------------------------------------- sockets

def listen_socket(backlog=64):
    """A TCP socket bound to 127.0.0.1 on an ephemeral port, listening."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((LOOPBACK, 0))
    s.listen(backlog)
    return s


def reset_close(sock):
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN (what Envoy does
    when no filter chain matches)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def pid_alive(pid):
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        if fields and fields[0] in ("Z", "X"):
            return False
    except OSError:
        pass
    return True


# ---------------------------------------------------------------- activity + watchdog

class Activity:
    """Last-activity clock shared by all servers of one simulation (for --idle)."""

    def __init__(self):
        self.last = time.monotonic()

    def touch(self):
        self.last = time.monotonic()


class Watchdog(threading.Thread):
    """Sets `stop` when the lifetime is over, the watched process is gone, or the
    servers were idle too long.  The owner waits on `stop` and shuts down."""

    def __init__(self, stop, lifetime=600.0, watch_pid=0, idle=0.0, activity=None):
        super().__init__(name="sim-watchdog", daemon=True)
        self.stop = stop
        self.deadline = time.monotonic() + lifetime if lifetime and lifetime > 0 else None
        self.watch_pid = watch_pid or 0
        self.idle = idle or 0.0
        self.activity = activity
        self.reason = None

    def run(self):
        while not self.stop.is_set():
            now = time.monotonic()
            if self.deadline is not None and now >= self.deadline:
                self.reason = "lifetime over"
            elif self.watch_pid and not pid_alive(self.watch_pid):
                self.reason = "watched process %d is gone" % self.watch_pid
            elif self.idle and self.activity is not None and now - self.activity.last > self.idle:
                self.reason = "idle for %ss" % self.idle
            if self.reason:
                log("stopping: " + self.reason)
                self.stop.set()
                return
            self.stop.wait(0.25)
