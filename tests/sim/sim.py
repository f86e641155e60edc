#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Simulated Apigee hybrid / Apigee X environment for tests and the README demo.

  sim.py list                                        scenarios and what they hold
  sim.py up --scenario NAME --dir WORKDIR [opts]     start; foreground until killed / lifetime
  sim.py up ... --background                         fork, wait until ready, print env.json path, exit 0
  sim.py down --dir WORKDIR                          stop the simulation started in WORKDIR
  sim.py status --dir WORKDIR                        running or not (exit 0 / 1)
  sim.py env --dir WORKDIR [KEY]                     env.json, or one value (lists as shell words)

One process serves: a fake Kubernetes API (HTTPS + token; plain HTTP with --kube-http), a fake
Apigee management API (HTTPS), an Envoy-like TLS ingress, a port that resets every
connection and a port that never answers.  All bind 127.0.0.1 on ephemeral ports.
It stops by itself after --lifetime seconds (default 600), when the watched process
(--watch-pid, default: the process that ran sim.py) is gone, or after --idle seconds
without a request (default: off).  Python 3 standard library only.
"""

import argparse
import json
import os
import shlex
import signal
import socket
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import certs  # noqa: E402
import common  # noqa: E402
import fake_gcloud  # noqa: E402
import fake_ingress  # noqa: E402
import fake_kube  # noqa: E402
import fake_mgmt  # noqa: E402
import scenarios  # noqa: E402

PID_FILE = "sim.pid"
MARKER = ".apigee-sim"


def kubeconfig_text(url, token, ports, ca_b64=None):
    tls = ""
    if ca_b64:
        tls = "\n    certificate-authority-data: " + ca_b64
    return """\
apiVersion: v1
kind: Config
preferences: {{}}
clusters:
- name: sim
  cluster:
    server: {url}{tls}
- name: sim-blackhole
  cluster:
    server: http://127.0.0.1:{bh}
- name: sim-reset
  cluster:
    server: http://127.0.0.1:{rs}
users:
- name: sim-admin
  user:
    token: {token}
contexts:
- name: sim
  context:
    cluster: sim
    namespace: apigee
    user: sim-admin
- name: sim-blackhole
  context:
    cluster: sim-blackhole
    namespace: apigee
    user: sim-admin
- name: sim-reset
  context:
    cluster: sim-reset
    namespace: apigee
    user: sim-admin
current-context: sim
""".format(url=url, tls=tls, token=token, bh=ports["blackhole"], rs=ports["reset"])


def _fp(path):
    try:
        return certs.fingerprint(path)
    except certs.CertError:
        return None


def _clean(wd):
    import shutil
    for sub in ("pki", "certs", "logs", "kube-cache"):
        p = os.path.join(wd, sub)
        if os.path.isdir(p):
            shutil.rmtree(p)
    for f in ("env.json", "kubeconfig", "token", "ca.pem", "overrides.yaml", "kube-state.json", "ingress.json",
              "mgmt.json"):
        p = os.path.join(wd, f)
        if os.path.exists(p):
            os.unlink(p)


def running_pid(wd):
    try:
        with open(os.path.join(wd, PID_FILE)) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    if not common.pid_alive(pid):
        return None
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if b"sim.py" not in f.read():
                return None
    except OSError:
        return None
    return pid


def up(a, ready_cb):
    wd = os.path.abspath(a.dir)
    os.makedirs(wd, exist_ok=True)
    if running_pid(wd):
        raise SystemExit("a simulation is already running in %s (sim.py down --dir %s)" % (wd, wd))
    marker = os.path.join(wd, MARKER)
    if os.listdir(wd) and not os.path.exists(marker):
        raise SystemExit("%s is not empty and was not made by sim.py: give a new or empty directory" % wd)
    _clean(wd)
    common.write_text(marker, "made by tests/sim/sim.py; files here are replaced by the next 'sim.py up'\n")
    t0 = common.parse_time(a.epoch) if a.epoch else common.utcnow()
    stop = threading.Event()
    activity = common.Activity()

    kube = fake_kube.KubeServer(activity=activity, stop_event=stop)
    mgmt = fake_mgmt.MgmtServer(activity=activity, stop_event=stop)
    ingress = fake_ingress.IngressServer(activity=activity, stop_event=stop)
    reset = fake_ingress.ResetServer(stop)
    blackhole = fake_ingress.BlackholeServer()
    ports = {"kube": kube.port, "mgmt": mgmt.port, "ingress": ingress.port, "reset": reset.port,
             "blackhole": blackhole.port}

    pki = certs.PKI(os.path.join(wd, "pki"))
    B = scenarios.build(a.scenario, wd, ports, pki, t0=t0, api_fault=a.api_fault, kube_hang=a.kube_hang)
    mat = B.material

    if a.kube_unserved:
        B.kube_state["unserved"] = list(a.kube_unserved)
    kube_scheme = "https"
    if a.kube_http:
        # kubectl never sends a bearer token over plain http, so the token is not enforced then
        B.kube_state["token"] = None
        kube_scheme = "http"
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(mat.kube.cert, mat.kube.key)
        kube.tls_context = ctx
    kube.configure(B.kube_state)
    ingress.configure(B.ingress_cfg)
    mgmt.configure(B.mgmt_cfg)
    common.write_json(os.path.join(wd, "kube-state.json"), B.kube_state, 0o600)
    common.write_json(os.path.join(wd, "ingress.json"), {k: v for k, v in B.ingress_cfg.items()}, 0o600)
    common.write_json(os.path.join(wd, "mgmt.json"), B.mgmt_cfg, 0o600)

    # client-side files
    kube_url = "%s://127.0.0.1:%d" % (kube_scheme, kube.port)
    ca_b64 = None
    if not a.kube_http:
        import base64
        with open(mat.mgmt_ca.cert, "rb") as f:
            ca_b64 = base64.b64encode(f.read()).decode()
    kubeconfig = os.path.join(wd, "kubeconfig")
    common.write_text(kubeconfig, kubeconfig_text(kube_url, B.kube_token, ports, ca_b64), 0o600)
    token_file = os.path.join(wd, "token")
    common.write_text(token_file, B.token + "\n", 0o600)
    ca_pem = os.path.join(wd, "ca.pem")
    with open(mat.mgmt_ca.cert) as f1, open(mat.ingress_ca.cert) as f2:
        common.write_text(ca_pem, f1.read() + f2.read())

    spec = B.spec
    org = spec["org"]
    hosts = [h for g in spec["envgroups"] for h in g["hostnames"]]
    api_base = "https://127.0.0.1:%d" % mgmt.port
    ingress_addr = "127.0.0.1:%d" % ingress.port
    args = ["--kubeconfig", kubeconfig, "-n", "apigee"]
    if B.overrides:
        args += ["--overrides", B.overrides]
    args += ["--api-base", api_base, "--token-file", token_file, "--cacert", ca_pem, "--org", org,
             "--ingress", ingress_addr]
    for h in hosts:
        args += ["--resolve", "%s:%d:127.0.0.1" % (h, ingress.port)]
    for h in hosts:
        args += ["--host", "%s:%d" % (h, ingress.port)]
    gcloud = project = None
    if spec["kind"] == "x":
        # the gcloud stub: its state, and a wrapper that can go on PATH or to --gcloud
        project = org
        state = fake_gcloud.build_state(spec, project, B.lb_certs, B.token)
        common.write_json(os.path.join(wd, "gcloud.json"), state, 0o600)
        gcloud = os.path.join(wd, "gcloud")
        common.write_text(gcloud, "#!/bin/sh\nexec %s %s --state %s --log %s \"$@\"\n" % (
            shlex.quote(sys.executable), shlex.quote(os.path.join(HERE, "fake_gcloud.py")),
            shlex.quote(os.path.join(wd, "gcloud.json")),
            shlex.quote(os.path.join(wd, "logs", "gcloud-requests.jsonl"))), 0o755)
        args += ["--project", project, "--gcloud", gcloud]
        if (spec.get("gcp") or {}).get("network_project"):
            args += ["--network-project", spec["gcp"]["network_project"]]
    args += ["--timeout", "10"]
    bundle = os.path.join(wd, "bundle.tar.gz")
    env = {
        "scenario": a.scenario,
        "description": scenarios.describe(a.scenario),
        "kind": spec["kind"],
        "dir": wd,
        "pid": os.getpid(),
        "started_at": common.rfc3339(common.utcnow()),
        "log_epoch": common.rfc3339(t0),
        "lifetime_s": a.lifetime,
        "age_now": scenarios.AGE_NOW,
        "org": org,
        "namespace": "apigee",
        "kubeconfig": kubeconfig,
        "kube_context": "sim",
        "kube_contexts": {"sim": kube_url, "sim-blackhole": "http://127.0.0.1:%d" % blackhole.port,
                          "sim-reset": "http://127.0.0.1:%d" % reset.port},
        "kube_url": kube_url,
        "kube_port": kube.port,
        "kube_cache_dir": os.path.join(wd, "kube-cache"),
        "kube_served_groups": B.kube_state["served_groups"],
        "api_base": api_base,
        "mgmt_port": mgmt.port,
        "token_file": token_file,
        "token_valid": spec["api_token_valid"],
        "cacert": ca_pem,
        "ingress_ca": mat.ingress_ca.cert,
        "mgmt_ca": mat.mgmt_ca.cert,
        "overrides": B.overrides,
        "ingress_addr": ingress_addr,
        "ingress_port": ingress.port,
        "hosts": hosts,
        "host_ports": ["%s:%d" % (h, ingress.port) for h in hosts],
        "resolve": ["%s:%d:127.0.0.1" % (h, ingress.port) for h in hosts],
        "reset_addr": "127.0.0.1:%d" % reset.port,
        "blackhole_addr": "127.0.0.1:%d" % blackhole.port,
        "ingress_pods": B.pods_ingress if spec["kind"] == "hybrid" else [],
        "access_logs": B.access_logs if spec["kind"] == "hybrid" else [],
        "routes": [{"name": r["name"], "hostnames": r["hostnames"], "enableNonSniClient": r["enableNonSniClient"],
                    "state": r["state"], "credential_present": r["credential_present"],
                    "cert_loads": r.get("_ctx") is not None, "attached": r["attached"]}
                   for r in ingress.routes],
        "envgroups": [{"name": g["name"], "hostnames": g["hostnames"], "envs": g["envs"],
                       "secret": g["secret_name"], "secret_present": g["secret"], "route": g["route"],
                       "cert_profile": g["cert"], "configured_cert": g["cert_path"], "configured_key": g["key_path"],
                       "overrides_cert": g["ov_cert"], "overrides_key": g["ov_key"], "served_cert": g["served_cert"],
                       "sha256_configured": _fp(g["cert_path"]), "sha256_overrides": _fp(g["ov_cert"]),
                       "sha256_served": _fp(g["served_cert"])} for g in spec["envgroups"]],
        "watcher_missing_secrets": spec["watcher_missing"],
        "faults": {"api": spec["api_faults"], "kube_hang": spec["kube_hang"]},
        "request_logs": {"kube": B.kube_state["request_log"], "mgmt": B.mgmt_cfg["request_log"]},
        "expect": spec["expect"],
        "gcloud": gcloud,
        "project": project,
        "collect_args": args,
        "collect_cmdline": "apigee-bundle collect " + " ".join(shlex.quote(x) for x in args) + " -o " +
                           shlex.quote(bundle),
    }
    env_path = os.path.join(wd, "env.json")
    common.write_json(env_path, env)

    for s in (kube, mgmt, ingress, reset, blackhole):
        s.start()
    with open(os.path.join(wd, PID_FILE), "w") as f:
        f.write("%d\n" % os.getpid())

    def on_signal(signum, frame):
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    wd_thread = common.Watchdog(stop, a.lifetime, a.watch_pid, a.idle, activity)
    wd_thread.start()
    common.log("scenario %s up: kube %s, api %s, ingress %s (pid %d)" % (a.scenario, kube_url, api_base,
                                                                         ingress_addr, os.getpid()))
    ready_cb(env_path)
    try:
        while not stop.is_set():
            stop.wait(0.5)
    finally:
        stop.set()
        for s in (kube, mgmt):
            try:
                s.shutdown()
                s.server_close()
            except Exception:
                pass
        for s in (ingress, reset, blackhole):
            s.close()
        try:
            with open(os.path.join(wd, PID_FILE)) as f:
                mine = f.read().strip() == str(os.getpid())
            if mine:
                os.unlink(os.path.join(wd, PID_FILE))
        except OSError:
            pass
        common.log("scenario %s down (%s)" % (a.scenario, wd_thread.reason or "signal"))
    return 0


def _wait_ports(env_path, timeout=10):
    env = common.read_json(env_path)
    deadline = time.monotonic() + timeout
    for port in (env["kube_port"], env["mgmt_port"], env["ingress_port"]):
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
    return True


def cmd_up(a):
    if a.scenario not in scenarios.SPECS:
        print("unknown scenario %r; known: %s" % (a.scenario, ", ".join(scenarios.SCENARIOS)), file=sys.stderr)
        return 2
    if a.watch_pid is None:
        a.watch_pid = os.getppid()
    if not a.background:
        def ready(path):
            try:
                print("SIM_READY %s" % path, flush=True)
            except (BrokenPipeError, OSError):
                pass
        return up(a, ready)

    wd = os.path.abspath(a.dir)
    os.makedirs(wd, exist_ok=True)
    if os.listdir(wd) and not os.path.exists(os.path.join(wd, MARKER)):
        print("sim.py: %s is not empty and was not made by sim.py: give a new or empty directory" % wd,
              file=sys.stderr)
        return 1
    common.write_text(os.path.join(wd, MARKER), "made by tests/sim/sim.py; files here are replaced by the next "
                                                "'sim.py up'\n")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setsid()
            logf = os.open(os.path.join(wd, "sim.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            nul = os.open(os.devnull, os.O_RDONLY)
            os.dup2(nul, 0)
            os.dup2(logf, 1)
            os.dup2(logf, 2)
            os.close(nul)
            os.close(logf)

            def ready(path):
                os.write(w, ("OK %s\n" % path).encode())
                os.close(w)
            rc = up(a, ready)
        except BaseException as e:  # report to the waiting parent
            try:
                os.write(w, ("ERR %s\n" % e).encode())
            except OSError:
                pass
            import traceback
            traceback.print_exc()
            rc = 1
        os._exit(rc if isinstance(rc, int) else 1)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    msg = data.decode(errors="replace").strip()
    if not msg.startswith("OK "):
        print("sim.py: failed to start: %s (see %s)" % (msg or "child exited",
                                                         os.path.join(wd, "sim.log")), file=sys.stderr)
        return 1
    path = msg[3:]
    if not _wait_ports(path):
        print("sim.py: ports did not open in time", file=sys.stderr)
        return 1
    print(path, flush=True)
    return 0


def cmd_down(a):
    wd = os.path.abspath(a.dir)
    pid = running_pid(wd)
    if pid is None:
        print("no simulation running in %s" % wd, file=sys.stderr)
        try:
            os.unlink(os.path.join(wd, PID_FILE))
        except OSError:
            pass
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while common.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if common.pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    try:
        os.unlink(os.path.join(wd, PID_FILE))
    except OSError:
        pass
    return 0


def cmd_status(a):
    pid = running_pid(os.path.abspath(a.dir))
    if pid:
        print("running (pid %d)" % pid)
        return 0
    print("not running")
    return 1


def cmd_env(a):
    """Print env.json, or one value of it: lists as shell words, so that
    `apigee-bundle collect $(sim.py env --dir D collect_args) -o out.tar.gz` works."""
    path = os.path.join(os.path.abspath(a.dir), "env.json")
    try:
        env = common.read_json(path)
    except OSError as e:
        print("sim.py: %s" % e, file=sys.stderr)
        return 1
    if not a.key:
        print(json.dumps(env, indent=2))
        return 0
    if a.key not in env:
        print("sim.py: no key %r in %s" % (a.key, path), file=sys.stderr)
        return 1
    v = env[a.key]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        print(" ".join(shlex.quote(x) for x in v))
    elif isinstance(v, (dict, list)):
        print(json.dumps(v, indent=2))
    else:
        print("" if v is None else v)
    return 0


def cmd_list(a):
    for name in scenarios.SCENARIOS:
        print("%-20s %s" % (name, scenarios.describe(name)))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="sim.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up", help="start a scenario")
    u.add_argument("--scenario", required=True, help="one of: " + ", ".join(scenarios.SCENARIOS))
    u.add_argument("--dir", required=True, help="work directory (created; generated files are replaced)")
    u.add_argument("--background", action="store_true", help="fork, wait until ready, print env.json path, exit")
    u.add_argument("--lifetime", type=float, default=600, help="stop after this many seconds (default 600)")
    u.add_argument("--idle", type=float, default=0, help="stop after this many seconds without a request")
    u.add_argument("--watch-pid", type=int, default=None,
                   help="stop when this process is gone (default: the parent of sim.py; 0 = never)")
    u.add_argument("--epoch", help="RFC 3339 time the generated log lines are dated from (default: now)")
    u.add_argument("--api-fault", choices=["500", "500-then-ok", "429", "429-then-ok", "garbage", "404", "401",
                                           "hang"], help="inject this fault on every management API path")
    u.add_argument("--kube-hang", action="append", default=[], metavar="PATH_PREFIX",
                   help="Kubernetes API paths that never answer (repeatable)")
    u.add_argument("--kube-unserved", action="append", default=[], metavar="PLURAL",
                   help="a resource (e.g. apigeerouteconfigs) left out of discovery, its paths 404 (repeatable)")
    u.add_argument("--kube-http", action="store_true",
                   help="serve the Kubernetes API over plain HTTP without auth (default: HTTPS + bearer token)")
    u.set_defaults(func=cmd_up)
    d = sub.add_parser("down", help="stop the simulation in --dir")
    d.add_argument("--dir", required=True)
    d.set_defaults(func=cmd_down)
    s = sub.add_parser("status", help="is a simulation running in --dir")
    s.add_argument("--dir", required=True)
    s.set_defaults(func=cmd_status)
    e = sub.add_parser("env", help="print env.json or one of its values (lists as shell words)")
    e.add_argument("--dir", required=True)
    e.add_argument("key", nargs="?")
    e.set_defaults(func=cmd_env)
    li = sub.add_parser("list", help="list scenarios")
    li.set_defaults(func=cmd_list)
    a = ap.parse_args(argv)
    if a.cmd in ("list", "env", "status"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # `sim.py list | head` ends quietly
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
