#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stub `gcloud` for the Apigee X scenarios: it answers the commands the collector
runs with JSON shaped as `gcloud … --format=json` prints it (the Compute Engine v1
resources, camelCase fields; `list` commands print an array, `describe` one
object, `get-health` an array of {backend, status}, `get-effective-firewalls`
{firewalls, firewallPolicys}, `logging read` an array of LogEntry), and fails the
way gcloud fails (exit 1, `ERROR: (gcloud.…)` on stderr) for a 403, an API that is
not enabled, or a resource that does not exist.

Two parts:
  * build_state(spec, …) makes the state of one scenario (sim.py writes it to
    WORKDIR/gcloud.json and a wrapper WORKDIR/gcloud that runs this file);
  * main(): `fake_gcloud.py --state FILE [--log FILE] GCLOUD-ARGS…`. Every call is
    logged as one JSON line (argv) to --log.

Values are made up here; nothing is copied from recorded projects. Standard
library only.
"""

import datetime as _dt
import json
import os
import subprocess
import sys

API = "https://www.googleapis.com/compute/v1/"
HC_RANGES = ["130.211.0.0/22", "35.191.0.0/16"]
PROXY_TAG = "gke-apigee-proxy"


def url(project, *parts):
    return API + "projects/%s/%s" % (project, "/".join(parts))


def _cert_end(path):
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", path], capture_output=True,
                         text=True, check=True).stdout
    t = _dt.datetime.strptime(out.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
    return t.strftime("%Y-%m-%dT%H:%M:%S.000-00:00")


def _created(days):
    t = _dt.datetime(2025, 3, 1, 9, 30, tzinfo=_dt.timezone.utc) + _dt.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000-07:00")


def _id(*parts):
    import hashlib
    return str(int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:15], 16))


# ---------------------------------------------------------------- the state of a scenario

def default_gcp():
    """What a scenario's "gcp" dict may change (the defaults are a healthy load balancer)."""
    return dict(backend="mig",            # "mig" (apigee-proxy VMs) or "psc" (PSC network endpoint groups)
                endpoint_wrong=False,     # the templates' ENDPOINT is an old instance IP
                hc_firewall=True,         # the health-check firewall rule exists
                unhealthy=False,          # get-health says UNHEALTHY
                armor_deny=0,             # Cloud Armor DENY log entries
                failed_to_pick=0,         # failed_to_pick_backend log entries
                peered_network="default",  # the network peered with servicenetworking
                proxy_network="default",   # the network of the apigee-proxy VMs
                network_project=None,      # Shared VPC host project (holds network, peering, firewalls)
                lb_cert=None,              # certs profile of the configured certificate ('expired'); None: the served one
                errors={})                 # "words of the command" -> "denied" | "api-disabled"


def build_state(spec, project, lb_certs, token, account="sim-operator@example.com"):
    """spec: the scenario spec (api instances, envgroups, "gcp" options).  lb_certs: {env group name:
    cert path} configured on the load balancer.  Returns the state dict main() serves."""
    g = default_gcp()
    g.update(spec.get("gcp") or {})
    host_project = g["network_project"] or project
    net_url = url(host_project, "global", "networks", g["proxy_network"])
    P = {k: [] for k in ("forwardingRules", "targetHttpsProxies", "urlMaps", "backendServices",
                         "networkEndpointGroups", "instanceGroupManagers", "instances", "firewalls",
                         "instanceTemplates", "sslCertificates", "logs")}
    P.update(health={}, migInstances={}, networks=[], errors=dict(g["errors"]))
    H = {"networks": [], "firewalls": [], "errors": {}} if host_project != project else P

    # certificates, one per env group, self-managed
    for eg in spec["envgroups"]:
        path = lb_certs[eg["name"]]
        with open(path) as f:
            pem = f.read()
        name = "apigee-lb-%s" % eg["name"]
        P["sslCertificates"].append({
            "certificate": pem, "creationTimestamp": _created(2), "description": "",
            "expireTime": _cert_end(path), "id": _id(name), "kind": "compute#sslCertificate", "name": name,
            "selfLink": url(project, "global", "sslCertificates", name),
            "subjectAlternativeNames": list(eg["hostnames"]), "type": "SELF_MANAGED"})
    proxy = "apigee-lb-https-proxy"
    umap = "apigee-lb-url-map"
    bes = "apigee-lb-backend"
    P["forwardingRules"].append({
        "IPAddress": "203.0.113.10", "IPProtocol": "TCP", "creationTimestamp": _created(2),
        "description": "", "fingerprint": "c2ltLWZy", "id": _id("fr"), "kind": "compute#forwardingRule",
        "labelFingerprint": "42WmSpB8rSM=", "loadBalancingScheme": "EXTERNAL_MANAGED",
        "name": "apigee-lb-forwarding-rule", "networkTier": "PREMIUM", "portRange": "443-443",
        "selfLink": url(project, "global", "forwardingRules", "apigee-lb-forwarding-rule"),
        "target": url(project, "global", "targetHttpsProxies", proxy)})
    P["targetHttpsProxies"].append({
        "creationTimestamp": _created(2), "fingerprint": "c2ltLXRw", "id": _id(proxy),
        "kind": "compute#targetHttpsProxy", "name": proxy, "quicOverride": "NONE",
        "selfLink": url(project, "global", "targetHttpsProxies", proxy),
        "sslCertificates": [c["selfLink"] for c in P["sslCertificates"]],
        "urlMap": url(project, "global", "urlMaps", umap)})
    P["urlMaps"].append({
        "creationTimestamp": _created(2), "defaultService": url(project, "global", "backendServices", bes),
        "fingerprint": "c2ltLXVt", "id": _id(umap), "kind": "compute#urlMap", "name": umap,
        "selfLink": url(project, "global", "urlMaps", umap)})
    backends = []
    for i, inst in enumerate(spec["api"]["instances"]):
        region = inst["location"]
        if g["backend"] == "psc":
            neg = "apigee-psc-neg-%s" % region
            P["networkEndpointGroups"].append({
                "creationTimestamp": _created(3), "id": _id(neg), "kind": "compute#networkEndpointGroup",
                "name": neg, "networkEndpointType": "PRIVATE_SERVICE_CONNECT",
                "pscData": {"consumerPscAddress": "10.%d.8.2" % (90 + i), "pscConnectionId": _id("psc", neg),
                            "pscConnectionStatus": "ACCEPTED"},
                "pscTargetService": "projects/sim1a2b3c4d-tp/regions/%s/serviceAttachments/apigee-%s" % (region, region),
                "region": url(project, "regions", region), "size": 0,
                "selfLink": url(project, "regions", region, "networkEndpointGroups", neg),
                "network": net_url})
            backends.append({"balancingMode": "UTILIZATION", "capacityScaler": 1,
                             "group": url(project, "regions", region, "networkEndpointGroups", neg)})
            continue
        mig = "apigee-mig-%s" % region
        tpl = "apigee-proxy-%s-tpl" % region
        endpoint = "10.99.%d.2" % i if g["endpoint_wrong"] else inst["host"]
        ig_url = url(project, "regions", region, "instanceGroups", mig)
        P["instanceTemplates"].append({
            "creationTimestamp": _created(3), "description": "", "id": _id(tpl),
            "kind": "compute#instanceTemplate", "name": tpl,
            "properties": {
                "canIpForward": False, "machineType": "e2-medium",
                "disks": [{"autoDelete": True, "boot": True, "deviceName": "persistent-disk-0",
                           "initializeParams": {"diskSizeGb": "20", "diskType": "pd-standard",
                                                "sourceImage": "projects/centos-cloud/global/images/family/centos-7"},
                           "kind": "compute#attachedDisk", "mode": "READ_WRITE", "type": "PERSISTENT"}],
                "metadata": {"fingerprint": "c2ltLW1k", "kind": "compute#metadata",
                             "items": [{"key": "ENDPOINT", "value": endpoint},
                                       {"key": "startup-script-url",
                                        "value": "gs://apigee-5g-saas/apigee-envoy-proxy-release/latest/conf/startup-script.sh"}]},
                "networkInterfaces": [{"kind": "compute#networkInterface", "name": "nic0", "network": net_url,
                                       "subnetwork": url(host_project, "regions", region, "subnetworks",
                                                         "apigee-%s" % region)}],
                "tags": {"items": [PROXY_TAG]}},
            "selfLink": url(project, "global", "instanceTemplates", tpl)})
        P["instanceGroupManagers"].append({
            "baseInstanceName": mig, "creationTimestamp": _created(3),
            "currentActions": {"none": 2}, "id": _id(mig), "instanceGroup": ig_url,
            "instanceTemplate": url(project, "global", "instanceTemplates", tpl),
            "kind": "compute#instanceGroupManager", "name": mig,
            "namedPorts": [{"name": "https", "port": 443}], "region": url(project, "regions", region),
            "selfLink": url(project, "regions", region, "instanceGroupManagers", mig),
            "status": {"isStable": True}, "targetSize": 2,
            "versions": [{"instanceTemplate": url(project, "global", "instanceTemplates", tpl),
                          "targetSize": {"calculated": 2}}]})
        members = []
        for k, zone in enumerate(("%s-a" % region, "%s-b" % region)):
            vm = "%s-%s" % (mig, "x7k2p" if k == 0 else "q9w4z")
            ip = "10.%d.16.%d" % (80 + i, 10 + k)
            P["instances"].append({
                "canIpForward": False, "creationTimestamp": _created(4), "id": _id(vm),
                "kind": "compute#instance", "machineType": url(project, "zones", zone, "machineTypes", "e2-medium"),
                "metadata": {"items": [{"key": "ENDPOINT", "value": endpoint}], "kind": "compute#metadata"},
                "name": vm, "networkInterfaces": [{"kind": "compute#networkInterface", "name": "nic0",
                                                   "network": net_url, "networkIP": ip}],
                "selfLink": url(project, "zones", zone, "instances", vm), "status": "RUNNING",
                "tags": {"items": [PROXY_TAG]}, "zone": url(project, "zones", zone)})
            members.append({"currentAction": "NONE", "id": _id(vm), "instance": url(project, "zones", zone, "instances", vm),
                            "instanceStatus": "RUNNING",
                            "version": {"instanceTemplate": url(project, "global", "instanceTemplates", tpl)}})
        P["migInstances"][mig] = members
        backends.append({"balancingMode": "UTILIZATION", "capacityScaler": 1, "group": ig_url})
        state = "UNHEALTHY" if (g["unhealthy"] or g["endpoint_wrong"] or not g["hc_firewall"]) else "HEALTHY"
        P["health"].setdefault(bes, []).append({
            "backend": ig_url,
            "status": {"healthStatus": [{"healthState": state, "instance": m["instance"],
                                         "ipAddress": "10.%d.16.%d" % (80 + i, 10 + k), "port": 443}
                                        for k, m in enumerate(members)],
                       "kind": "compute#backendServiceGroupHealth"}})
    if g["backend"] == "psc":
        P["health"][bes] = [{"backend": b["group"], "status": {"kind": "compute#backendServiceGroupHealth"}}
                            for b in backends]
    P["backendServices"].append({
        "affinityCookieTtlSec": 0, "backends": backends, "connectionDraining": {"drainingTimeoutSec": 300},
        "creationTimestamp": _created(2), "fingerprint": "c2ltLWJz", "id": _id(bes),
        "healthChecks": [] if g["backend"] == "psc" else [url(project, "global", "healthChecks", "apigee-hc")],
        "kind": "compute#backendService", "loadBalancingScheme": "EXTERNAL_MANAGED",
        "logConfig": {"enable": True, "sampleRate": 1}, "name": bes, "port": 443, "portName": "https",
        "protocol": "HTTPS", "securityPolicy": url(project, "global", "securityPolicies", "apigee-armor"),
        "selfLink": url(project, "global", "backendServices", bes), "timeoutSec": 60})

    # the network(s), the peering with servicenetworking, the firewall rules
    for name in sorted({g["proxy_network"], g["peered_network"], "default"}):
        n = {"autoCreateSubnetworks": name == "default", "creationTimestamp": _created(-30),
             "id": _id("net", host_project, name), "kind": "compute#network", "name": name,
             "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL",
             "routingConfig": {"routingMode": "REGIONAL"},
             "selfLink": url(host_project, "global", "networks", name),
             "selfLinkWithId": url(host_project, "global", "networks", _id("net", host_project, name))}
        if name == g["peered_network"]:
            n["peerings"] = [{"autoCreateRoutes": True, "exchangeSubnetRoutes": True,
                              "exportCustomRoutes": False, "exportSubnetRoutesWithPublicIp": False,
                              "importCustomRoutes": False, "importSubnetRoutesWithPublicIp": False,
                              "name": "servicenetworking-googleapis-com",
                              "network": API + "projects/sim1a2b3c4d-tp/global/networks/servicenetworking",
                              "peerMtu": 1460, "stackType": "IPV4_ONLY", "state": "ACTIVE",
                              "stateDetails": "[2025-03-01T09:31:02.101-08:00]: Connected."}]
        H["networks"].append(n)
    rules = [{"allowed": [{"IPProtocol": "tcp", "ports": ["22"]}], "creationTimestamp": _created(-30),
              "description": "", "direction": "INGRESS", "disabled": False, "id": _id("fw-ssh"),
              "kind": "compute#firewall", "logConfig": {"enable": False}, "name": "allow-iap-ssh",
              "network": net_url, "priority": 1000, "sourceRanges": ["35.235.240.0/20"],
              "selfLink": url(host_project, "global", "firewalls", "allow-iap-ssh")}]
    if g["hc_firewall"]:
        rules.append({"allowed": [{"IPProtocol": "tcp", "ports": ["443"]}], "creationTimestamp": _created(3),
                      "description": "load balancer health checks to the apigee-proxy VMs",
                      "direction": "INGRESS", "disabled": False, "id": _id("fw-hc"), "kind": "compute#firewall",
                      "logConfig": {"enable": False}, "name": "allow-lb-hc-apigee-proxy", "network": net_url,
                      "priority": 900, "sourceRanges": list(HC_RANGES), "targetTags": [PROXY_TAG],
                      "selfLink": url(host_project, "global", "firewalls", "allow-lb-hc-apigee-proxy")})
    H["firewalls"].extend(rules)

    # the load balancer's request log (newest first, as gcloud logging read prints it)
    t = _dt.datetime(2025, 5, 21, 5, 50, tzinfo=_dt.timezone.utc)
    host = spec["envgroups"][-1]["hostnames"][0]

    def entry(n, status, details, armor=None):
        ts = (t + _dt.timedelta(seconds=7 * n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        e = {"httpRequest": {"latency": "0.012345s", "remoteIp": "198.51.100.%d" % (20 + n % 7),
                             "requestMethod": "GET", "requestSize": "83", "requestUrl": "https://%s/v1/ping" % host,
                             "responseSize": "312", "serverIp": "10.80.16.10", "status": status,
                             "userAgent": "curl/8.5.0"},
             "insertId": "sim%08x" % (n * 2654435761 % 2 ** 32),
             "jsonPayload": {"@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry",
                             "backendTargetProjectNumber": "projects/123456789012",
                             "remoteIp": "198.51.100.%d" % (20 + n % 7), "statusDetails": details},
             "logName": "projects/%s/logs/requests" % project,
             "receiveTimestamp": ts,
             "resource": {"labels": {"backend_service_name": bes, "forwarding_rule_name": "apigee-lb-forwarding-rule",
                                     "project_id": project, "target_proxy_name": proxy, "url_map_name": umap,
                                     "zone": "global"}, "type": "http_load_balancer"},
             "severity": "INFO" if status < 400 else "WARNING", "spanId": "%016x" % (n + 1),
             "timestamp": ts, "trace": "projects/%s/traces/%032x" % (project, n + 7)}
        if armor:
            e["jsonPayload"]["enforcedSecurityPolicy"] = armor
        return e

    n = 0
    for _ in range(3):
        P["logs"].append(entry(n, 200, "response_sent_by_backend",
                               {"configuredAction": "ALLOW", "name": "apigee-armor", "outcome": "ACCEPT",
                                "priority": 2147483647}))
        n += 1
    for _ in range(g["armor_deny"]):
        P["logs"].append(entry(n, 403, "denied_by_security_policy",
                               {"configuredAction": "DENY", "name": "apigee-armor", "outcome": "DENY",
                                "priority": 1000, "preconfiguredExprIds": ["owasp-crs-v030001-id942110-sqli"]}))
        n += 1
    for _ in range(g["failed_to_pick"]):
        P["logs"].append(entry(n, 502, "failed_to_pick_backend"))
        n += 1
    P["logs"].reverse()

    projects = {project: P}
    if host_project != project:
        projects[host_project] = H
    return {"project": project, "account": account, "token": token, "projects": projects}


# ---------------------------------------------------------------- the stub

ERRORS = {
    "denied-list": ("ERROR: (gcloud.{cmd}) Some requests did not succeed:\n"
                    " - Required '{perm}' permission for 'projects/{project}'\n"),
    "denied-get": ("ERROR: (gcloud.{cmd}) Could not fetch resource:\n"
                   " - Required '{perm}' permission for 'projects/{project}/{what}'\n"),
    "denied-logging": ("ERROR: (gcloud.{cmd}) PERMISSION_DENIED: Permission denied for all log views. This command "
                       "is authenticated as {account} which is the active account specified by the "
                       "[core/account] property.\n"),
    "api-disabled": ("ERROR: (gcloud.{cmd}) Some requests did not succeed:\n"
                     " - {api} has not been used in project 123456789012 before or it is disabled. Enable it by "
                     "visiting https://console.developers.google.com/apis/api/{svc}/overview?project=123456789012 "
                     "then retry. If you enabled this API recently, wait a few minutes for the action to propagate "
                     "to our systems and retry.\n"),
    "api-disabled-logging": ("ERROR: (gcloud.{cmd}) PERMISSION_DENIED: Cloud Logging API has not been used in project "
                             "123456789012 before or it is disabled. Enable it by visiting "
                             "https://console.developers.google.com/apis/api/logging.googleapis.com/overview?"
                             "project=123456789012 then retry. If you enabled this API recently, wait a few minutes "
                             "for the action to propagate to our systems and retry.\n"),
    "not-found": ("ERROR: (gcloud.{cmd}) Could not fetch resource:\n"
                  " - The resource 'projects/{project}/{what}' was not found\n"),
}

PERMS = {"forwarding-rules": "compute.globalForwardingRules", "target-https-proxies": "compute.targetHttpsProxies",
         "url-maps": "compute.urlMaps", "backend-services": "compute.backendServices",
         "network-endpoint-groups": "compute.networkEndpointGroups", "instance-groups": "compute.instanceGroupManagers",
         "instances": "compute.instances", "firewall-rules": "compute.firewalls", "networks": "compute.networks",
         "ssl-certificates": "compute.sslCertificates", "instance-templates": "compute.instanceTemplates"}

FLAGS_WITH_VALUE = {"--project", "--region", "--zone", "--network", "--limit", "--freshness", "--format",
                    "--filter", "--account", "--configuration"}


def parse(argv):
    words, flags = [], {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            if "=" in a:
                k, v = a.split("=", 1)
                flags[k] = v
            elif a in FLAGS_WITH_VALUE and i + 1 < len(argv):
                flags[a] = argv[i + 1]
                i += 1
            else:
                flags[a] = True
        else:
            words.append(a)
        i += 1
    return words, flags


def fail(key, **kw):
    sys.stderr.write(ERRORS[key].format(**kw))
    return 1


def out(doc):
    json.dump(doc, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def serve(state, argv):
    words, flags = parse(argv)
    if words[:2] == ["auth", "print-access-token"]:
        print(state["token"])
        return 0
    project = flags.get("--project") or state["project"]
    P = state["projects"].get(project)
    # the verb ends the command; what follows is the resource name or the filter
    verbs = ("list", "describe", "get-health", "list-instances", "get-effective-firewalls", "read")
    nverb = next((k + 1 for k, w in enumerate(words) if w in verbs), len(words))
    cmd, rest = words[:nverb], words[nverb:]
    cmdname = "compute." + ".".join(cmd[1:]) if cmd and cmd[0] == "compute" else ".".join(cmd)
    resource = cmd[1] if len(cmd) > 1 else ""
    perm = PERMS.get(resource, "compute.projects.get")
    if flags.get("--format") != "json":
        sys.stderr.write("ERROR: the stub only prints --format=json\n")
        return 2
    if P is None:
        return fail("denied-list", cmd=cmdname, perm=perm + ".list", project=project)
    err = P.get("errors", {}).get(" ".join(cmd))
    if err == "denied":
        if cmd[0] == "logging":
            return fail("denied-logging", cmd=cmdname, account=state["account"])
        if nverb and cmd[-1] == "list":
            return fail("denied-list", cmd=cmdname, perm=perm + ".list", project=project)
        return fail("denied-get", cmd=cmdname, perm=perm + ".get", project=project,
                    what="global/%s/%s" % (resource, rest[0] if rest else ""))
    if err == "api-disabled":
        if cmd[0] == "logging":
            return fail("api-disabled-logging", cmd=cmdname)
        return fail("api-disabled", cmd=cmdname, api="Compute Engine API", svc="compute.googleapis.com")
    name = rest[0] if rest else None

    def find(kind):
        for x in P.get(kind, []):
            if x["name"] == name:
                return x
        return None

    def not_found(coll):
        return fail("not-found", cmd=cmdname, project=project, what="global/%s/%s" % (coll, name))

    key = " ".join(cmd)
    lists = {"compute forwarding-rules list": "forwardingRules",
             "compute target-https-proxies list": "targetHttpsProxies", "compute url-maps list": "urlMaps",
             "compute backend-services list": "backendServices",
             "compute network-endpoint-groups list": "networkEndpointGroups",
             "compute instance-groups managed list": "instanceGroupManagers", "compute instances list": "instances",
             "compute firewall-rules list": "firewalls", "compute instance-templates list": "instanceTemplates",
             "compute ssl-certificates list": "sslCertificates", "compute networks list": "networks"}
    if key in lists:
        return out(P.get(lists[key], []))
    if key == "compute networks peerings list":
        nets = P.get("networks", [])
        if flags.get("--network"):
            nets = [n for n in nets if n["name"] == flags["--network"]]
        return out(nets)
    describes = {"compute ssl-certificates describe": ("sslCertificates", "sslCertificates"),
                 "compute instance-templates describe": ("instanceTemplates", "instanceTemplates"),
                 "compute networks describe": ("networks", "networks")}
    if key in describes:
        x = find(describes[key][0])
        return out(x) if x else not_found(describes[key][1])
    if key == "compute backend-services get-health":
        return out(P["health"][name]) if name in P.get("health", {}) else not_found("backendServices")
    if key == "compute instance-groups managed list-instances":
        return out(P["migInstances"][name]) if name in P.get("migInstances", {}) else not_found("instanceGroupManagers")
    if key == "compute networks get-effective-firewalls":
        net = find("networks")
        if not net:
            return not_found("networks")
        return out({"firewalls": [r for r in P.get("firewalls", []) if r["network"].endswith("/networks/" + name)],
                    "firewallPolicys": []})
    if key == "logging read":
        limit = int(flags.get("--limit", 1000))
        return out(P.get("logs", [])[:limit])
    sys.stderr.write("ERROR: (gcloud) Invalid choice: '%s'.\n" % " ".join(words))
    return 2


def main(argv):
    if len(argv) < 2 or argv[0] != "--state":
        sys.stderr.write("usage: fake_gcloud.py --state FILE [--log FILE] GCLOUD-ARGS...\n")
        return 2
    with open(argv[1]) as f:
        state = json.load(f)
    argv = argv[2:]
    if len(argv) >= 2 and argv[0] == "--log":
        with open(argv[1], "a") as f:
            f.write(json.dumps({"argv": argv[2:]}) + "\n")
        argv = argv[2:]
    return serve(state, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
