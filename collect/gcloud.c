/* gcloud sources (the Apigee X load balancer facts for the XLB checks, with
 * --project), the access token from `gcloud auth print-access-token`, and the
 * user's --attach files. */
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "error.h"
#include "run.h"
#include "banned.h"

/* What the XLB checks read (checks.md, family XLB), one member each. */
static const struct {
	const char *member;
	const char *words[6];
} gcloud_lists[] = {
	{ "gcp/target-https-proxies.json", { "compute", "target-https-proxies", "list", NULL } },
	{ "gcp/ssl-certificates.json", { "compute", "ssl-certificates", "list", NULL } },
	{ "gcp/firewall-rules.json", { "compute", "firewall-rules", "list", NULL } },
	{ "gcp/instance-templates.json", { "compute", "instance-templates", "list", NULL } },
	{ "gcp/network-peerings.json", { "compute", "networks", "peerings", "list", NULL } },
	{ "gcp/backend-services.json", { "compute", "backend-services", "list", NULL } },
	{ "gcp/instance-groups.json", { "compute", "instance-groups", "managed", "list", NULL } },
	{ "gcp/instances.json", { "compute", "instances", "list", NULL } },
	{ "gcp/forwarding-rules.json", { "compute", "forwarding-rules", "list", NULL } },
};

int collect_gcloud(const struct collect_options *o, struct sink *s, struct error *err)
{
	const char *why = NULL;
	bool user = true;

	if (o->offline)
		why = "offline mode";
	else if (!o->project)
		why = "no --project given";
	else if (!o->gcloud) {
		why = "gcloud not found";
		user = false;
	}
	if (why) {
		sink_source_ex(s, "gcloud load balancer facts", OUTCOME_SKIPPED, why, -1, user);
		return 0;
	}
	for (size_t i = 0; i < sizeof(gcloud_lists) / sizeof(gcloud_lists[0]); i++) {
		struct strv argv = STRV_INIT;
		char *name = NULL, *words;
		struct strv w = STRV_INIT;

		for (size_t k = 0; gcloud_lists[i].words[k]; k++)
			strv_push(&w, gcloud_lists[i].words[k]);
		words = strv_join(&w, " ");
		strv_release(&w);
		if (!words || asprintf(&name, "gcloud %s", words) < 0) {
			free(words);
			return error_set(err, -ENOMEM, NULL, 0, "out of memory");
		}
		free(words);
		strv_push(&argv, o->gcloud);
		for (size_t k = 0; gcloud_lists[i].words[k]; k++)
			strv_push(&argv, gcloud_lists[i].words[k]);
		strv_push(&argv, "--project");
		strv_push(&argv, o->project);
		strv_push(&argv, "--format=json");
		strv_push(&argv, "--quiet");
		collect_command(o, s, name, gcloud_lists[i].member, &argv, NULL);
		strv_release(&argv);
		free(name);
		if (o->cancel && *o->cancel)
			break;
	}
	return 0;
}

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

int collect_attachments(const struct collect_options *o, struct sink *s, struct error *err)
{
	for (size_t i = 0; i < o->attach.n; i++) {
		const char *file = o->attach.v[i];
		const char *base = strrchr(file, '/');
		char *path = NULL, *name = NULL, *safe;
		struct sink_stream *st = NULL;
		struct error e = ERROR_INIT;
		int64_t t0 = run_now_ms();
		char chunk[65536];
		uint64_t total = 0;
		int fd, rerr = 0;
		struct stat sb;

		base = base ? base + 1 : file;
		safe = strdup(*base && strcmp(base, ".") && strcmp(base, "..") ? base
		                                                               : "attachment");
		if (!safe)
			return error_set(err, -ENOMEM, NULL, 0, "out of memory");
		for (char *p = safe; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
				*p = '_';
		if (asprintf(&path, "attachments/%s", safe) < 0 ||
		    asprintf(&name, "attach %s", file) < 0) {
			free(safe);
			return error_set(err, -ENOMEM, NULL, 0, "out of memory");
		}
		free(safe);
		fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			char why[600];

			snprintf(why, sizeof(why), "cannot open '%s': %s", file,
			         fd < 0 ? strerror(errno) : "not a regular file");
			if (fd >= 0)
				close(fd);
			sink_source_ex(s, name, OUTCOME_FAILED, why, -1, false);
			free(path);
			free(name);
			continue;
		}
		/* streamed: a pcap or a log export can be big */
		if (sink_stream_begin(s, path, &st, &e) < 0) {
			close(fd);
			sink_source_ex(s, name, OUTCOME_FAILED, e.message, -1, false);
			free(path);
			free(name);
			continue;
		}
		for (;;) {
			ssize_t n = read(fd, chunk, sizeof(chunk));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rerr = n < 0 ? errno : 0;
				break;
			}
			total += (uint64_t)n;
			if (total > COLLECT_MAX_ATTACH) {
				rerr = EFBIG;
				break;
			}
			if (sink_stream_write(st, chunk, (size_t)n) < 0)
				break;
		}
		close(fd);
		{
			char why[600];
			struct member_out m = {
				.path = path,
				.source = MEMBER_SRC_FILE,
				.target = file,
				.outcome = rerr ? OUTCOME_FAILED : OUTCOME_OK,
				.exit_status = -1,
				.duration_ms = run_now_ms() - t0,
				.error = NULL,
			};

			snprintf(why, sizeof(why), "cannot read '%s': %s", file, strerror(rerr));
			if (rerr)
				m.error = why;
			sink_stream_end(st, &m, &e);
			sink_source_ex(s, name, m.outcome, m.error, m.duration_ms, false);
		}
		free(path);
		free(name);
	}
	return 0;
}
