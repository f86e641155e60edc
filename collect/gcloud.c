/* SPDX-License-Identifier: Apache-2.0 */
/* gcloud sources: with --project, the Apigee X load balancer facts the XLB checks
 * read (checks.md, family XLB; doc/bundle-layout.md, gcp/), and the access token
 * from `gcloud auth print-access-token`.
 *
 * Phase 1 (collect_gcloud): the lists, in parallel; then what they name, read by
 * gcp_plan_build() -- the certificates of the target HTTPS proxies, the health of
 * the backend services behind their URL maps, the instances and templates of the
 * managed instance groups behind those -- and the load balancer's request log.
 * Phase 2 (collect_gcloud_network): the authorized network of the organization
 * (described, its peerings, its effective firewalls), in its own project for a
 * Shared VPC (--network-project or the project the authorizedNetwork names).
 *
 * Every command is one manifest entry (argv, exit status, redacted stderr). A
 * failure is said for what it is: "permission denied: …" (403), "API not enabled:
 * …", "not found: …"; what does not apply (no managed instance group behind a
 * Private Service Connect backend) is skipped with "not applicable: …". The
 * account gcloud names in its errors is replaced by "<account>"; the token is
 * never stored. */
#include "collect.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error.h"
#include "gcp_plan.h"
#include "run.h"
#include "sources.h"
#include "banned.h"

#define GCLOUD_MAX_NETWORKS 4
#define GCLOUD_LB_LOG_FILTER                       \
	"resource.type=\"http_load_balancer\" OR " \
	"resource.type=\"http_external_regional_lb_rule\""

/* ---- classifying gcloud's failures ----------------------------------------------------- */

static bool account_char(char c, bool domain)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || (!domain && (c == '_' || c == '+' || c == '%'));
}

/* gcloud names the active account in some errors ("authenticated as a@b.c"): it
 * never enters the bundle. */
static void scrub_accounts(struct buf *b)
{
	struct buf out = BUF_INIT;
	size_t i = 0;

	if (!b->data || !memchr(b->data, '@', b->len))
		return;
	while (i < b->len) {
		char *at = memchr(b->data + i, '@', b->len - i);
		size_t a, l, r;

		if (!at)
			break;
		a = (size_t)(at - b->data);
		for (l = a; l > i && account_char(b->data[l - 1], false); l--)
			;
		for (r = a + 1; r < b->len && account_char(b->data[r], true); r++)
			;
		if (buf_append(&out, b->data + i, l - i) < 0)
			goto oom;
		if (l < a && r > a + 1 && memchr(at, '.', r - a)) {
			if (buf_puts(&out, "<account>") < 0)
				goto oom;
		} else if (buf_append(&out, b->data + l, r - l) < 0) {
			goto oom;
		}
		i = r;
	}
	if (buf_append(&out, b->data + i, b->len - i) < 0)
		goto oom;
	buf_release(b);
	*b = out;
	return;
oom:
	buf_release(&out);
}

enum gcloud_failure {
	GCLOUD_FAIL_OTHER = 0,
	GCLOUD_FAIL_API_DISABLED,
	GCLOUD_FAIL_DENIED,
	GCLOUD_FAIL_NOT_FOUND,
	GCLOUD_FAIL__MAX,
};

static const struct {
	const char *prefix;
	const char *words[6];
} gcloud_failures[GCLOUD_FAIL__MAX] = {
	[GCLOUD_FAIL_OTHER] = { "", { NULL } },
	/* before "denied": Cloud Logging says PERMISSION_DENIED for a disabled API */
	[GCLOUD_FAIL_API_DISABLED] = { "API not enabled: ",
	                               { "has not been used in project", "SERVICE_DISABLED",
	                                 "not enabled on project", "API has not been enabled",
	                                 NULL } },
	[GCLOUD_FAIL_DENIED] = { "permission denied: ",
	                         { "PERMISSION_DENIED", "permission for",
	                           "does not have permission", "Permission denied", "HTTPError 403",
	                           NULL } },
	[GCLOUD_FAIL_NOT_FOUND] = { "not found: ",
	                            { "was not found", "NOT_FOUND", "HTTPError 404", NULL } },
};

static enum gcloud_failure failure_kind(const char *text)
{
	for (int k = GCLOUD_FAIL_API_DISABLED; text && k < GCLOUD_FAIL__MAX; k++)
		for (size_t w = 0; gcloud_failures[k].words[w]; w++)
			if (strstr(text, gcloud_failures[k].words[w]))
				return (enum gcloud_failure)k;
	return GCLOUD_FAIL_OTHER;
}

static void gcloud_classify(const struct run_result *res, struct buf *errbuf,
                            struct command_verdict *v)
{
	enum gcloud_failure k;
	char *why;

	scrub_accounts(errbuf);
	if (v->outcome == OUTCOME_OK || v->outcome == OUTCOME_SKIPPED || res->out_truncated)
		return;
	k = failure_kind(errbuf->data);
	why = collect_describe_failure(res, errbuf->data);
	free(v->reason);
	v->reason = NULL;
	if (why && asprintf(&v->reason, "%s%s", gcloud_failures[k].prefix, why) < 0)
		v->reason = NULL;
	free(why);
}

/* ---- a batch of gcloud commands, run in parallel --------------------------------------- */

struct gjob {
	char *name;   /* "gcloud compute ssl-certificates describe cert-1 --global" */
	char *member; /* NULL: the source line only */
	struct strv argv;
	bool keep; /* keep stdout in out */
	struct buf out;
	enum outcome oc;
};

struct gbatch {
	const struct collect_options *o;
	struct sink *s;
	struct gjob *j;
	size_t n, cap;
	int error;
};

static void gbatch_release(struct gbatch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->j[i].name);
		free(b->j[i].member);
		strv_release(&b->j[i].argv);
		buf_release(&b->j[i].out);
	}
	free(b->j);
	memset(b, 0, sizeof(*b));
}

/* Add `gcloud WORDS… --project P --format=json --quiet`. The display name is
 * "gcloud WORDS…", plus the project when it is not --project. Returns the job's
 * index or -ENOMEM (b->error is set). */
static int gbatch_add_v(struct gbatch *b, const char *member, bool keep, const char *project,
                        const struct strv *words)
{
	static const char *const tail[] = { "--project", NULL, "--format=json", "--quiet" };
	struct gjob *j;
	char *joined;
	int r;

	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 32;
		struct gjob *p = realloc(b->j, ncap * sizeof(*p));

		if (!p)
			return b->error = -ENOMEM;
		b->j = p;
		b->cap = ncap;
	}
	j = &b->j[b->n++];
	memset(j, 0, sizeof(*j));
	joined = strv_join(words, " ");
	if (!joined ||
	    asprintf(&j->name,
	             strcmp(project, b->o->project) ? "gcloud %s (project %s)" : "gcloud %s",
	             joined, project) < 0)
		j->name = NULL;
	free(joined);
	j->member = member ? strdup(member) : NULL;
	j->keep = keep;
	r = strv_push(&j->argv, b->o->gcloud);
	for (size_t i = 0; r == 0 && i < words->n; i++)
		r = strv_push(&j->argv, words->v[i]);
	for (size_t i = 0; r == 0 && i < 4; i++)
		r = strv_push(&j->argv, tail[i] ? tail[i] : project);
	if (r < 0 || !j->name || (member && !j->member))
		return b->error = -ENOMEM;
	return (int)(b->n - 1);
}

/* The same with the words as arguments, ending with NULL. */
static int gbatch_add(struct gbatch *b, const char *member, bool keep, const char *project, ...)
{
	struct strv words = STRV_INIT;
	va_list ap;
	int r = 0;

	va_start(ap, project);
	for (const char *w = va_arg(ap, const char *); w && r == 0; w = va_arg(ap, const char *))
		r = strv_push(&words, w);
	va_end(ap);
	r = r < 0 ? (b->error = -ENOMEM) : gbatch_add_v(b, member, keep, project, &words);
	strv_release(&words);
	return r;
}

static void gbatch_job(void *ud, size_t i)
{
	struct gbatch *b = ud;
	struct gjob *j = &b->j[i];

	j->oc = collect_command(b->o, b->s, j->name, j->member, &j->argv, j->keep ? &j->out : NULL,
	                        gcloud_classify);
}

static void gbatch_run(struct gbatch *b)
{
	run_parallel(b->n, b->o->parallel, gbatch_job, b, b->o->cancel);
}

/* ---- phase 1: the load balancer -------------------------------------------------------- */

enum gslot {
	SLOT_PROXIES,
	SLOT_URL_MAPS,
	SLOT_BACKENDS,
	SLOT_NEGS,
	SLOT_MIGS,
	SLOT__MAX
};

/* What the XLB checks read, one member each; slot: kept for the plan. */
static const struct {
	const char *member;
	const char *words[5];
	int slot;
} gcloud_lists[] = {
	{ "gcp/forwarding-rules.json", { "compute", "forwarding-rules", "list" }, -1 },
	{ "gcp/target-https-proxies.json",
	  { "compute", "target-https-proxies", "list" },
	  SLOT_PROXIES },
	{ "gcp/url-maps.json", { "compute", "url-maps", "list" }, SLOT_URL_MAPS },
	{ "gcp/backend-services.json", { "compute", "backend-services", "list" }, SLOT_BACKENDS },
	{ "gcp/network-endpoint-groups.json",
	  { "compute", "network-endpoint-groups", "list" },
	  SLOT_NEGS },
	{ "gcp/instance-groups.json",
	  { "compute", "instance-groups", "managed", "list" },
	  SLOT_MIGS },
	{ "gcp/instances.json", { "compute", "instances", "list" }, -1 },
	{ "gcp/firewall-rules.json", { "compute", "firewall-rules", "list" }, -1 },
	{ "gcp/network-peerings.json", { "compute", "networks", "peerings", "list" }, -1 },
};

/* kubectl's --since (30s, 5m, 2h, 1h30m) in seconds, for gcloud's --freshness. */
static long long duration_s(const char *s)
{
	long long total = 0, v = 0;

	for (; s && *s; s++) {
		if (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s - '0');
			continue;
		}
		total += v * (*s == 'h' ? 3600 : *s == 'm' ? 60 : 1);
		v = 0;
	}
	return total;
}

/* The load balancer's request log, bounded by --since and --log-lines. */
static void add_log_read(struct gbatch *b)
{
	const struct collect_options *o = b->o;
	char limit[48], fresh[48];

	snprintf(limit, sizeof(limit), "--limit=%ld", o->log_lines);
	snprintf(fresh, sizeof(fresh), "--freshness=%llds", duration_s(o->since));
	if (o->since)
		gbatch_add(b, "gcp/lb-logs.json", false, o->project, "logging", "read",
		           GCLOUD_LB_LOG_FILTER, limit, fresh, NULL);
	else
		gbatch_add(b, "gcp/lb-logs.json", false, o->project, "logging", "read",
		           GCLOUD_LB_LOG_FILTER, limit, NULL);
}

/* The member path of a described resource: DIR/NAME[SUFFIX].json */
static char *ref_member(const char *dir, const struct gcp_ref *r, const char *suffix)
{
	char *safe = collect_safe_name(r->name), *p = NULL;

	if (safe && asprintf(&p, "gcp/%s/%s%s.json", dir, safe, suffix) < 0)
		p = NULL;
	free(safe);
	return p;
}

/* One command of the plan on resource r: CMD… NAME [--region R | --zone Z |
 * --global]; global_flag: whether a global resource takes --global
 * (ssl-certificates, backend-services) or nothing (instance templates). */
static void add_ref_job(struct gbatch *b, const struct gcp_ref *r, const char *member, bool keep,
                        bool global_flag, const char *const *cmd)
{
	struct strv w = STRV_INIT;
	int e = 0;

	for (size_t i = 0; cmd[i]; i++)
		e |= strv_push(&w, cmd[i]);
	e |= strv_push(&w, r->name);
	if (r->scope == GCP_SCOPE_REGION || r->scope == GCP_SCOPE_ZONE) {
		e |= strv_push(&w, r->scope == GCP_SCOPE_REGION ? "--region" : "--zone");
		e |= strv_push(&w, r->location);
	} else if (global_flag) {
		e |= strv_push(&w, "--global");
	}
	if (e < 0)
		b->error = -ENOMEM;
	else
		gbatch_add_v(b, member, keep, r->project ? r->project : b->o->project, &w);
	strv_release(&w);
}

static const struct {
	const char *dir, *suffix;
	const char *cmd[5];
	bool global_flag, keep;
	const char *what; /* for "none" lines */
} ref_jobs[GCP_REF__MAX] = {
	[GCP_REF_CERT] = { "ssl-certificates",
	                   "",
	                   { "compute", "ssl-certificates", "describe" },
	                   true,
	                   false,
	                   "gcloud compute ssl-certificates describe" },
	[GCP_REF_HEALTH] = { "backend-health",
	                     "",
	                     { "compute", "backend-services", "get-health" },
	                     true,
	                     false,
	                     "gcloud compute backend-services get-health" },
	[GCP_REF_MIG] = { "instance-groups",
	                  ".instances",
	                  { "compute", "instance-groups", "managed", "list-instances" },
	                  false,
	                  false,
	                  "gcloud compute instance-groups managed list-instances" },
	[GCP_REF_TEMPLATE] = { "instance-templates",
	                       "",
	                       { "compute", "instance-templates", "describe" },
	                       false,
	                       true,
	                       "gcloud compute instance-templates describe" },
};

/* Why a kind of the plan has nothing to describe. */
static const char *nothing_why(const struct gcp_plan *p, enum gcp_ref_kind k)
{
	switch (k) {
	case GCP_REF_CERT:
		return p->lb_known
		               ? "no target HTTPS proxy names an SSL certificate (a certificate "
		                 "map, or no HTTPS load balancer in the project)"
		               : "the target HTTPS proxies could not be listed";
	case GCP_REF_HEALTH:
		return p->lb_known ? "no backend service behind the load balancer"
		                   : "the backend services could not be listed";
	default:
		if (p->psc_negs && !p->mig_backends)
			return "not applicable: PSC backend (the load balancer sends to Private "
			       "Service Connect endpoint groups, not to managed instance groups)";
		return "no managed instance group behind the load balancer";
	}
}

/* The describes the plan asks for; the kinds with nothing to do get a line. */
static void add_plan_jobs(struct gbatch *b, const struct gcp_plan *p)
{
	for (int k = 0; k < GCP_REF__MAX; k++) {
		if (!p->n[k])
			sink_source_ex(b->s, ref_jobs[k].what, OUTCOME_SKIPPED,
			               nothing_why(p, (enum gcp_ref_kind)k), -1, false);
		for (size_t i = 0; i < p->n[k]; i++) {
			char *member =
			        ref_member(ref_jobs[k].dir, &p->refs[k][i], ref_jobs[k].suffix);

			add_ref_job(b, &p->refs[k][i], member, ref_jobs[k].keep,
			            ref_jobs[k].global_flag, ref_jobs[k].cmd);
			free(member);
		}
		if (p->dropped[k]) {
			char why[160];

			snprintf(why, sizeof(why), "%u more not described (at most %d)",
			         p->dropped[k], GCP_PLAN_MAX);
			sink_source_ex(b->s, ref_jobs[k].what, OUTCOME_SKIPPED, why, -1, false);
		}
	}
}

static const char *gcloud_unavailable(const struct collect_options *o, bool *user)
{
	*user = true;
	if (o->offline)
		return "offline mode";
	if (!o->project)
		return "no --project given";
	*user = false;
	if (!o->gcloud)
		return "gcloud not found";
	return NULL;
}

void gcloud_facts_release(struct gcloud_facts *f)
{
	strv_release(&f->networks);
}

int collect_gcloud(const struct collect_options *o, struct sink *s, struct gcloud_facts *ret_facts,
                   struct error *err)
{
	struct gbatch lists = { o, s, NULL, 0, 0, 0 }, more = { o, s, NULL, 0, 0, 0 };
	int slot_job[SLOT__MAX] = { -1, -1, -1, -1, -1 };
	struct gcp_json *slots[SLOT__MAX];
	struct gcp_lists in = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	struct gcp_plan plan;
	bool user;
	const char *why = gcloud_unavailable(o, &user);
	int r = 0;

	if (why) {
		sink_source_ex(s, "gcloud load balancer facts", OUTCOME_SKIPPED, why, -1, user);
		return 0;
	}
	ret_facts->ran = true;
	slots[SLOT_PROXIES] = &in.proxies;
	slots[SLOT_URL_MAPS] = &in.url_maps;
	slots[SLOT_BACKENDS] = &in.backends;
	slots[SLOT_NEGS] = &in.negs;
	slots[SLOT_MIGS] = &in.migs;
	for (size_t i = 0; i < sizeof(gcloud_lists) / sizeof(gcloud_lists[0]); i++) {
		const char *const *w = gcloud_lists[i].words;
		int j = gbatch_add(&lists, gcloud_lists[i].member, gcloud_lists[i].slot >= 0,
		                   o->project, w[0], w[1], w[2], w[3], w[4]);

		if (gcloud_lists[i].slot >= 0)
			slot_job[gcloud_lists[i].slot] = j;
	}
	add_log_read(&lists);
	if (lists.error) {
		r = error_set(err, lists.error, NULL, 0, "out of memory");
		goto out;
	}
	gbatch_run(&lists);
	for (int k = 0; k < SLOT__MAX; k++)
		if (slot_job[k] >= 0 && lists.j[slot_job[k]].oc == OUTCOME_OK) {
			slots[k]->data =
			        lists.j[slot_job[k]].out.data ? lists.j[slot_job[k]].out.data : "";
			slots[k]->len = lists.j[slot_job[k]].out.len;
		}
	if (o->cancel && *o->cancel)
		goto out;

	/* what the lists name */
	r = gcp_plan_build(&in, &plan, err);
	if (r == 0)
		add_plan_jobs(&more, &plan);
	gcp_plan_release(&plan);
	if (r == 0 && more.error)
		r = error_set(err, more.error, NULL, 0, "out of memory");
	if (r < 0)
		goto out;
	gbatch_run(&more);
	for (size_t i = 0; i < more.n; i++)
		if (more.j[i].keep && more.j[i].oc == OUTCOME_OK)
			gcp_template_networks(more.j[i].out.data ? more.j[i].out.data : "",
			                      more.j[i].out.len, &ret_facts->networks);
out:
	gbatch_release(&lists);
	gbatch_release(&more);
	return r;
}

/* ---- phase 2: the authorized network ----------------------------------------------------- */

struct gnet {
	char *project, *name;
};

/* The networks to describe: the organization's authorizedNetwork; without an
 * organization answer, the networks of the apigee-proxy templates. why gets the
 * reason when there is none. */
static size_t pick_networks(const struct collect_options *o, struct sink *s,
                            const struct gcloud_facts *f, struct gnet *ret, const char **why)
{
	struct buf org = BUF_INIT;
	bool no_peering = false;
	size_t n = 0;
	int r = sink_raw(s, "api/organization.json", &org);

	*why = "no authorized network known (the management API's organization was not read) "
	       "and no instance template names a network";
	if (r == 0) {
		r = gcp_authorized_network(org.data ? org.data : "", org.len, &ret[0].project,
		                           &ret[0].name, &no_peering);
		if (r == 0)
			n = 1;
		else if (no_peering)
			*why = "not applicable: the organization uses no VPC peering "
			       "(disableVpcPeering, Private Service Connect)";
		else if (r == -EINVAL)
			*why = "the organization's authorizedNetwork is not a network name";
	}
	buf_release(&org);
	for (size_t i = 0; !no_peering && r != 0 && i < f->networks.n; i++) {
		struct gcp_ref ref;

		if (gcp_ref_parse(f->networks.v[i], &ref) < 0)
			continue;
		ret[n].project = ref.project;
		ret[n].name = ref.name;
		ref.project = ref.name = NULL;
		gcp_ref_release(&ref);
		if (++n == GCLOUD_MAX_NETWORKS)
			break;
	}
	/* "default" names no project: Shared VPC's host project, else --project */
	for (size_t i = 0; i < n; i++)
		if (!ret[i].project)
			ret[i].project =
			        strdup(o->network_project ? o->network_project : o->project);
	return n;
}

static void add_network_jobs(struct gbatch *b, const struct gnet *net, bool *host_listed)
{
	char *safe = collect_safe_name(net->name), *m1 = NULL, *m2 = NULL, *m3 = NULL;

	if (!safe || asprintf(&m1, "gcp/networks/%s.json", safe) < 0 ||
	    asprintf(&m2, "gcp/networks/%s.peerings.json", safe) < 0 ||
	    asprintf(&m3, "gcp/networks/%s.effective-firewalls.json", safe) < 0) {
		b->error = -ENOMEM;
		goto out;
	}
	gbatch_add(b, m1, false, net->project, "compute", "networks", "describe", net->name, NULL);
	gbatch_add(b, m2, false, net->project, "compute", "networks", "peerings", "list",
	           "--network", net->name, NULL);
	gbatch_add(b, m3, false, net->project, "compute", "networks", "get-effective-firewalls",
	           net->name, NULL);
	/* Shared VPC: the host project holds the firewall rules and the peerings */
	if (strcmp(net->project, b->o->project) != 0 && !*host_listed) {
		*host_listed = true;
		gbatch_add(b, "gcp/network-project/firewall-rules.json", false, net->project,
		           "compute", "firewall-rules", "list", NULL);
		gbatch_add(b, "gcp/network-project/network-peerings.json", false, net->project,
		           "compute", "networks", "peerings", "list", NULL);
	}
out:
	free(safe);
	free(m1);
	free(m2);
	free(m3);
}

int collect_gcloud_network(const struct collect_options *o, struct sink *s,
                           const struct gcloud_facts *f, struct error *err)
{
	struct gbatch b = { o, s, NULL, 0, 0, 0 };
	struct gnet nets[GCLOUD_MAX_NETWORKS];
	const char *why = NULL;
	bool host_listed = false;
	size_t n;
	int r = 0;

	if (!f->ran)
		return 0; /* phase 1 said why */
	memset(nets, 0, sizeof(nets));
	n = pick_networks(o, s, f, nets, &why);
	if (!n)
		sink_source_ex(s, "gcloud compute networks describe (authorized network)",
		               OUTCOME_SKIPPED, why, -1, false);
	for (size_t i = 0; i < n; i++)
		if (nets[i].project && nets[i].name)
			add_network_jobs(&b, &nets[i], &host_listed);
	if (b.error)
		r = error_set(err, b.error, NULL, 0, "out of memory");
	else
		gbatch_run(&b);
	gbatch_release(&b);
	for (size_t i = 0; i < n; i++) {
		free(nets[i].project);
		free(nets[i].name);
	}
	return r;
}

/* ---- the access token -------------------------------------------------------------------- */

int collect_gcloud_token(const struct collect_options *o, struct buf *ret, struct error *err)
{
	struct child_process cmd = CHILD_PROCESS_INIT;
	struct run_result res;
	struct buf errbuf = BUF_INIT;
	int r;

	buf_init(ret, 64 * 1024);
	if (!o->gcloud)
		return error_set(err, -ENOENT, NULL, 0, "gcloud not found");
	if (strv_push(&cmd.argv, o->gcloud) < 0 || strv_push(&cmd.argv, "auth") < 0 ||
	    strv_push(&cmd.argv, "print-access-token") < 0 || strv_push(&cmd.argv, "--quiet") < 0) {
		child_process_release(&cmd);
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	}
	cmd.timeout_ms = o->timeout_ms;
	cmd.out_cap = 64 * 1024;
	cmd.err_cap = 16 * 1024;
	cmd.cancel = o->cancel;
	r = run_capture(&cmd, ret, &errbuf, &res, err);
	child_process_release(&cmd);
	if (r == 0 && (res.exit_status != 0 || res.timed_out)) {
		char *why = collect_describe_failure(&res, errbuf.data);

		/* whatever gcloud printed on stdout is not a token then */
		if (ret->data)
			OPENSSL_cleanse(ret->data, ret->len);
		buf_release(ret);
		r = error_set(err, -EIO, NULL, 0, "gcloud auth print-access-token: %s",
		              why ? why : "failed");
		free(why);
	}
	/* trim the newline */
	while (r == 0 && ret->len &&
	       (ret->data[ret->len - 1] == '\n' || ret->data[ret->len - 1] == '\r' ||
	        ret->data[ret->len - 1] == ' '))
		ret->data[--ret->len] = '\0';
	if (r == 0 && ret->len == 0)
		r = error_set(err, -EIO, NULL, 0, "gcloud auth print-access-token printed nothing");
	buf_release(&errbuf);
	return r;
}
