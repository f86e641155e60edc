#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# E_* variables are set by load_env (eval of env.json):
# shellcheck disable=SC2154
# Self-test of the simulated Apigee environment: brings up every scenario, runs the
# real kubectl / curl / openssl against it, checks the behaviour, tears it down.
#
#   bash tests/sim/selftest.sh              # all scenarios
#   bash tests/sim/selftest.sh healthy ...  # only these
#   KUBECTL=/path/to/kubectl bash tests/sim/selftest.sh   # another kubectl (e.g. Debian's 1.20)
#   SELFTEST_JOBS=1 bash tests/sim/selftest.sh            # one scenario group at a time (default 3)
#
# Needs python3, openssl, curl; kubectl checks are skipped (and counted) when kubectl is
# missing.  Ends with the line "N passed, N failed"; exit status 0 only if none failed.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# the interpreter itself, not a wrapper script such as a pyenv shim (it runs ~100 times)
PY="${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}"
SIM="$PY $HERE/sim.py"
KUBECTL="${KUBECTL:-kubectl}"
BASE="$(mktemp -d "${TMPDIR:-/tmp}/apigee-sim-selftest.XXXXXX")"
PASS=0 FAIL=0 SKIP=0
STARTED=()
# one set of RSA keys for all scenarios of this run (key generation dominates start-up)
export APIGEE_SIM_KEY_CACHE="$BASE/key-cache"

cleanup() {
    local p
    for p in "$BASE"/*/sim.pid; do [ -e "$p" ] && $SIM down --dir "$(dirname "$p")" >/dev/null 2>&1; done
    rm -rf "$BASE"
}
trap cleanup EXIT

ok()   { PASS=$((PASS + 1)); printf '  ok    %s\n' "$1"; }
bad()  { FAIL=$((FAIL + 1)); printf '  FAIL  %s\n' "$1"; [ -n "${2:-}" ] && printf '        %s\n' "$2" | head -20; }
skip() { SKIP=$((SKIP + 1)); printf '  skip  %s\n' "$1"; }

# check NAME CMD...: passes when CMD exits 0
check() { local name="$1"; shift; local out; if out="$("$@" 2>&1)"; then ok "$name"; else bad "$name" "$out"; fi; }
# expect_rc NAME RC CMD...: passes when CMD exits with RC
expect_rc() {
    local name="$1" want="$2"; shift 2; local out rc
    out="$("$@" 2>&1)"; rc=$?
    if [ "$rc" = "$want" ]; then ok "$name"; else bad "$name (rc=$rc, want $want)" "$out"; fi
}
# contains NAME NEEDLE CMD...: passes when CMD's output (stdout+stderr) contains NEEDLE
contains() {
    local name="$1" needle="$2"; shift 2; local out
    out="$("$@" 2>&1)"
    if grep -qF -- "$needle" <<<"$out"; then ok "$name"; else bad "$name (no '$needle')" "$out"; fi
}
lacks() {
    local name="$1" needle="$2"; shift 2; local out
    out="$("$@" 2>&1)"
    if grep -qF -- "$needle" <<<"$out"; then bad "$name (has '$needle')" "$out"; else ok "$name"; fi
}

# load_env: env.json -> shell variables E_<key> (lists joined by spaces), in one python run
load_env() {
    eval "$($PY -c 'import json,shlex,sys
for k,v in json.load(open(sys.argv[1])).items():
    if isinstance(v,(str,int,float)) or v is None: print("E_%s=%s" % (k, shlex.quote(str(v))))
    elif isinstance(v,list) and all(isinstance(x,str) for x in v): print("E_%s=%s" % (k, shlex.quote(" ".join(v))))' "$W/env.json")"
}

HAVE_KUBECTL=1
command -v "$KUBECTL" >/dev/null 2>&1 || HAVE_KUBECTL=0
kc() { "$KUBECTL" --kubeconfig "$W/kubeconfig" --cache-dir "$W/kube-cache" -n apigee "$@"; }
kcheck() { if [ $HAVE_KUBECTL = 1 ]; then "$@"; else skip "$2 (no kubectl)"; fi; }

api() {  # api PATH [curl args...]: body to stdout, then a line "HTTP <code>"
    local p="$1"; shift
    curl -sS --max-time 5 --cacert "$W/ca.pem" -w '\nHTTP %{http_code}\n' "$@" "$API$p"
}
apit() { local p="$1"; shift; api "$p" -H "Authorization: Bearer $(cat "$W/token")" "$@"; }
sni_curl() {  # sni_curl HOST [args]: curl through --resolve to the ingress
    local h="$1"; shift
    curl -sS --max-time 5 --resolve "$h:$IP_PORT:127.0.0.1" --cacert "$W/ca.pem" "$@" "https://$h:$IP_PORT/"
}
nosni_handshake() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$IP_PORT" -noservername 2>&1; }
sni_handshake() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$IP_PORT" -servername "$1" -CAfile "$W/ca.pem" 2>&1; }
served_fp() { sni_handshake "$1" | openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2; }
secret_field() { kc get secret "$1" -o "jsonpath={.data.$2}" | base64 -d; }
json_has() { $PY -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit("\nHTTP",1)[0]); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"; }
pipe_json() { local expr="$1"; shift; "$@" | json_has "$expr"; }
not_json() { ! $PY -c 'import json,sys; json.loads(sys.stdin.buffer.read().rsplit(b"\nHTTP",1)[0])' 2>/dev/null; }
logs_all() { for p in $E_ingress_pods; do kc logs "$p" -c istio-proxy; done; }
watcher_logs() { kc logs "$(kc get pods -l app=apigee-watcher -o name | head -1)" --tail=50; }
route_field() { kc get apigeeroute "$1" -o "jsonpath=$2"; }
modulus_diff() {  # the playbook's diff of moduli, secret key vs secret cert
    diff -q <(secret_field "$1" key | openssl rsa -noout -modulus 2>&1) <(secret_field "$1" cert | openssl x509 -noout -modulus 2>&1)
}
checkend_30d() { openssl x509 -in "$1" -noout -checkend $((30 * 86400)); }

up() {
    W="$BASE/$1"
    local t0=$SECONDS
    if ! $SIM up --scenario "$1" --dir "$W" --background --lifetime 120 --watch-pid $$ >"$BASE/$1.up" 2>&1; then
        bad "$1: sim up" "$(cat "$BASE/$1.up" "$W/sim.log" 2>/dev/null)"
        return 1
    fi
    STARTED+=("$W")
    load_env
    API="$E_api_base"
    IP_PORT="$E_ingress_port"
    echo "== $1 (up in $((SECONDS - t0))s, ingress $IP_PORT, api $API)"
}
down() { $SIM down --dir "$W" >/dev/null 2>&1; }

# ------------------------------------------------------------------------- scenarios

t_healthy() {
    up healthy || return
    kcheck contains "kubectl get apigeeroutes shows the env group route" "myorg-dev-grp-000-33620d0   running" kc get apigeeroutes
    kcheck contains "kubectl get ar shows the wildcard route" "non-sni" kc get ar
    kcheck contains "wildcard hostnames" '["*"]' route_field non-sni '{.spec.hostnames}'
    kcheck contains "wildcard enableNonSniClient true" "true" route_field non-sni '{.spec.enableNonSniClient}'
    kcheck contains "route additionalGateways" '["non-sni"]' route_field myorg-dev-grp-000-33620d0 '{.spec.additionalGateways}'
    kcheck contains "kubectl describe apigeeroute" "Additional Gateways:" kc describe apigeeroute myorg-dev-grp-000-33620d0
    kcheck contains "kubectl get apigeeroutes -o json" '"kind": "ApigeeRoute"' kc get apigeeroutes -o json
    kcheck contains "kubectl get secrets -o json carries the TLS secret" '"name": "myorg-dev-grp"' kc get secrets -o json
    kcheck contains "secret cert is a PEM certificate" "subject=" bash -c "$(declare -f kc secret_field); W='$W' KUBECTL='$KUBECTL'; secret_field myorg-dev-grp cert | openssl x509 -noout -subject"
    kcheck check "secret key matches cert (playbook modulus diff)" bash -c "$(declare -f kc secret_field modulus_diff); W='$W' KUBECTL='$KUBECTL'; modulus_diff myorg-dev-grp"
    kcheck contains "kubectl get pods -l app=apigee-ingressgateway" "2/2     Running" kc get pods -l app=apigee-ingressgateway
    kcheck lacks "label selector filters pods" "apigee-watcher" kc get pods -l app=apigee-ingressgateway
    local pod; pod="${E_ingress_pods%% *}"
    kcheck contains "kubectl logs POD -c istio-proxy --tail=10" '"status_details":"via_upstream"' kc logs "$pod" -c istio-proxy --tail=10
    kcheck contains "kubectl version -o json" '"gitVersion": "v1.31.6-gke.1064001"' kc version -o json
    contains "openssl -noservername gets a certificate (wildcard route)" "subject=" nosni_handshake
    contains "openssl -servername api.example.com verifies" "Verify return code: 0 (ok)" sni_handshake api.example.com
    contains "curl -v --resolve ... --cacert succeeds" "HTTP/1.1 200" sni_curl api.example.com -v
    contains "access log records the SNI request" '"sni_host":"api.example.com"' cat $E_access_logs
    contains "management API: org with token" '"name": "myorg"' apit /v1/organizations/myorg
    contains "management API: 401 without token" "HTTP 401" api /v1/organizations/myorg
    contains "management API: 401 body is Google's" '"status":"UNAUTHENTICATED"' api /v1/organizations/myorg
    check "management API: instance attachment dev" pipe_json 'd["attachments"][0]["environment"]=="dev"' apit /v1/organizations/myorg/instances/us-west1/attachments
    check "management API: envgroup hostnames" pipe_json 'd["environmentGroups"][0]["hostnames"]==["api.example.com"]' apit /v1/organizations/myorg/envgroups
    expect_rc "reset_addr resets (curl 35/56)" 35 curl -sS --max-time 5 -k --connect-to "::$E_reset_addr" https://api.example.com/
    expect_rc "blackhole_addr never answers (curl 28)" 28 curl -sS --max-time 1 -k --connect-to "::$E_blackhole_addr" https://api.example.com/
    contains "overrides.yaml lists the wildcard gateway" 'additionalGateways: ["non-sni"]' cat "$E_overrides"
    check "overrides cert file matches its key" bash -c "diff <(openssl x509 -in '$W/certs/keystore_dev-grp.pem' -noout -pubkey) <(openssl pkey -in '$W/certs/keystore_dev-grp.key' -pubout)"
    down
}

t_non_sni_no_wildcard() {
    up non-sni-no-wildcard || return
    contains "openssl -noservername: no peer certificate" "no peer certificate available" nosni_handshake
    expect_rc "curl https://IP (no SNI) is reset (exit 35)" 35 curl -sS --max-time 5 -k -H "Host: api.example.com" "https://127.0.0.1:$IP_PORT/"
    contains "curl with SNI still works" "hello from the simulated" sni_curl api.example.com
    kcheck lacks "no wildcard route" "non-sni" kc get apigeeroutes
    kcheck contains "ingress logs show filter_chain_not_found" '"status_details":"filter_chain_not_found"' logs_all
    contains "live reset was logged with sni_host -" '"remote_address":"127.0.0.1:' grep -h filter_chain_not_found $E_access_logs
    down
}

t_wildcard_disabled() {
    up wildcard-disabled || return
    kcheck contains "wildcard enableNonSniClient false" "false" route_field non-sni '{.spec.enableNonSniClient}'
    contains "openssl -noservername: no peer certificate" "no peer certificate available" nosni_handshake
    contains "unknown SNI name is served by the wildcard route" "hello" sni_curl other.example.com -k
    down
}

t_missing_secret() {
    up missing-secret || return
    kcheck contains "secret is absent" "NotFound" kc get secret myorg-dev-grp
    kcheck contains "watcher log has NOT_FOUND" 'NOT_FOUND: failed to get secret \"myorg-dev-grp\" in namespace \"apigee\": secrets \"myorg-dev-grp\" not found' watcher_logs
    kcheck contains "describe shows the event" "SecretNotFound" kc describe apigeeroute myorg-dev-grp-000-33620d0
    kcheck contains "events by field selector" "SecretNotFound" kc get events --field-selector involvedObject.name=myorg-dev-grp-000-33620d0
    expect_rc "SNI handshake is reset (curl 35)" 35 sni_curl api.example.com
    down
}

t_key_mismatch() {
    up key-mismatch || return
    kcheck contains "playbook modulus diff reports a difference" "differ" bash -c "$(declare -f kc secret_field modulus_diff); W='$W' KUBECTL='$KUBECTL'; modulus_diff myorg-dev-grp"
    contains "curl gets alert handshake failure" "alert handshake failure" sni_curl api.example.com
    down
}

t_served_differs() {
    up served-differs || return
    local served configured
    served="$(served_fp api.example.com)"
    configured="$(openssl x509 -in "$W/certs/keystore_dev-grp.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
    if [ -n "$served" ] && [ "$served" != "$configured" ]; then ok "served certificate differs from overrides"; else bad "served certificate differs from overrides" "served=$served configured=$configured"; fi
    contains "served chain still verifies" "HTTP/1.1 200" sni_curl api.example.com -v
    down
}

t_x_unattached() {
    up x-unattached || return
    kcheck contains "no ApigeeRoute CRD on Apigee X" "doesn't have a resource type" kc get apigeeroutes
    check "org has dev and prod" pipe_json 'd["environments"]==["dev","prod"] and d["runtimeType"]=="CLOUD"' apit /v1/organizations/myorg
    check "instances are paginated" pipe_json 'len(d["instances"])==1 and "nextPageToken" in d' apit /v1/organizations/myorg/instances
    check "second page has europe-west1" pipe_json 'd["instances"][0]["name"]=="europe-west1" and "nextPageToken" not in d' apit "/v1/organizations/myorg/instances?pageToken=MQ=="
    check "europe-west1 has only dev attached" pipe_json '[a["environment"] for a in d["attachments"]]==["dev"]' apit /v1/organizations/myorg/instances/europe-west1/attachments
    check "attachments are paginated too: us-west1 page 1 = dev" pipe_json '[a["environment"] for a in d["attachments"]]==["dev"] and d["nextPageToken"]=="MQ=="' apit /v1/organizations/myorg/instances/us-west1/attachments
    contains "LB stand-in: api.example.com (prod) answers 503 via google" "via: 1.1 google" sni_curl api.example.com -sS -D - -o /dev/null
    contains "LB stand-in: api-dev.example.com answers 200" "HTTP/1.1 200" sni_curl api-dev.example.com -sS -D - -o /dev/null
    check "us-west1 page 2 = prod" pipe_json '[a["environment"] for a in d["attachments"]]==["prod"]' apit "/v1/organizations/myorg/instances/us-west1/attachments?pageToken=MQ=="
    down
}

t_demo_broken() {
    up demo-broken || return
    contains "openssl -noservername: no peer certificate" "no peer certificate available" nosni_handshake
    expect_rc "dev-grp certificate expires within 30 days" 1 checkend_30d "$W/certs/keystore_dev-grp.pem"
    contains "prod-grp overrides certificate expired" "will expire" openssl x509 -in "$W/certs/keystore_prod-grp.pem" -noout -checkend 0
    kcheck contains "watcher NOT_FOUND for prod-grp" 'secrets \"myorg-prod-grp\" not found' watcher_logs
    kcheck contains "filter_chain_not_found in ingress logs" "filter_chain_not_found" logs_all
    check "europe-west1 lacks prod" pipe_json '[a["environment"] for a in d["attachments"]]==["dev"]' apit /v1/organizations/myorg/instances/europe-west1/attachments
    down
}

t_api_faults1() {
    up api-401 || return
    contains "api-401: valid-looking token is rejected" "HTTP 401" apit /v1/organizations/myorg
    down
    up api-500 || return
    contains "api-500: 500 INTERNAL" "HTTP 500" apit /v1/organizations/myorg
    kcheck contains "api-500: cluster still fine" "non-sni" kc get ar
    down
    up api-garbage || return
    check "api-garbage: body is not JSON" bash -c "$(declare -f api apit not_json); W='$W' API='$API'; apit /v1/organizations/myorg | not_json"
    down
    up api-flaky || return
    contains "api-flaky: first call 500" "HTTP 500" apit /v1/organizations/myorg/envgroups
    contains "api-flaky: retry succeeds" "HTTP 200" apit /v1/organizations/myorg/envgroups
    down
}

t_api_faults2() {
    up api-429 || return
    contains "api-429: Retry-After" "Retry-After: 1" apit /v1/organizations/myorg -D -
    contains "api-429: then 200" "HTTP 200" apit /v1/organizations/myorg
    down
    up api-404 || return
    contains "api-404: instances 404" "HTTP 404" apit /v1/organizations/myorg/instances
    down
    up api-hang || return
    expect_rc "api-hang: curl times out (28)" 28 curl -sS --max-time 1 --cacert "$W/ca.pem" -H "Authorization: Bearer $(cat "$W/token")" "$API/v1/organizations/myorg"
    down
}

t_kube_hang() {
    up kube-hang || return
    if [ $HAVE_KUBECTL = 1 ]; then
        local t0=$SECONDS
        expect_rc "kube-hang: kubectl get apigeeroutes times out" 1 kc get apigeeroutes --request-timeout=1s
        if [ $((SECONDS - t0)) -le 20 ]; then ok "kube-hang: timeout honoured"; else bad "kube-hang: took $((SECONDS - t0))s"; fi
        contains "kube-hang: other resources answer" "myorg-dev-grp" kc get secrets
    else
        skip "kube-hang (no kubectl)"
    fi
    down
}

t_more_certs() {
    up malformed-cert || return
    contains "malformed-cert: OpenSSL cannot load it" "nable to load certificate" openssl x509 -in "$W/certs/keystore_dev-grp.pem" -noout
    contains "malformed-cert: ingress alerts" "alert handshake failure" sni_curl api.example.com
    down
    up expired-cert || return
    expect_rc "expired-cert: curl exit 60" 60 sni_curl api.example.com
    down
    up expiring-cert || return
    expect_rc "expiring-cert: expires within 30 days" 1 checkend_30d "$W/certs/keystore_dev-grp.pem"
    contains "expiring-cert: still served fine" "HTTP/1.1 200" sni_curl api.example.com -v
    down
    up wrong-host || return
    expect_rc "wrong-host: curl exit 60 (name mismatch)" 60 sni_curl api.example.com
    down
    up ec-cert || return
    contains "ec-cert: EC key" "BEGIN EC PRIVATE KEY" cat "$W/certs/keystore_dev-grp.key"
    contains "ec-cert: served fine" "HTTP/1.1 200" sni_curl api.example.com -v
    down
}

t_more_routes() {
    up wildcard-unlisted || return
    contains "wildcard-unlisted: non-SNI gets a certificate" "subject=" nosni_handshake
    contains "wildcard-unlisted: non-SNI request 404" "HTTP/1.1 404" curl -sS -v -k --max-time 5 "https://127.0.0.1:$IP_PORT/"
    down
    up not-applied || return
    kcheck lacks "not-applied: route lacks additionalGateways" "non-sni" route_field myorg-dev-grp-000-33620d0 '{.spec.additionalGateways}'
    contains "not-applied: overrides list it" 'additionalGateways: ["non-sni"]' cat "$W/overrides.yaml"
    down
    up route-not-running || return
    kcheck contains "route-not-running: state creating" "creating" kc get ar non-sni
    contains "route-not-running: non-SNI reset" "no peer certificate available" nosni_handshake
    down
}

ALL=(healthy non_sni_no_wildcard wildcard_disabled missing_secret key_mismatch served_differs x_unattached
     demo_broken api_faults1 api_faults2 kube_hang more_certs more_routes)
SEL=("$@")
[ ${#SEL[@]} -eq 0 ] && SEL=("${ALL[@]}")
JOBS="${SELFTEST_JOBS:-3}"
[ $HAVE_KUBECTL = 1 ] && echo "kubectl: $("$KUBECTL" version --client 2>/dev/null | head -1)" || echo "kubectl: not found, kubectl checks skipped"
T0=$SECONDS

# Each group runs in a subshell (own counters, own log); up to $JOBS at a time.
run_group() {
    ( PASS=0 FAIL=0 SKIP=0; "t_$1"; echo "$PASS $FAIL $SKIP" >"$BASE/$1.counts" ) >"$BASE/$1.log" 2>&1
}
running=0
for t in "${SEL[@]}"; do
    t="${t//-/_}"
    if ! declare -F "t_$t" >/dev/null; then echo "unknown test group: $t" >&2; FAIL=$((FAIL + 1)); continue; fi
    run_group "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
for t in "${SEL[@]}"; do
    t="${t//-/_}"
    [ -f "$BASE/$t.log" ] && cat "$BASE/$t.log"
    if [ -f "$BASE/$t.counts" ]; then
        read -r p f s <"$BASE/$t.counts"; PASS=$((PASS + p)); FAIL=$((FAIL + f)); SKIP=$((SKIP + s))
    elif declare -F "t_$t" >/dev/null; then
        echo "  FAIL  test group $t did not finish"; FAIL=$((FAIL + 1))
    fi
done
echo "selftest took $((SECONDS - T0))s ($SKIP skipped, $JOBS lanes)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
