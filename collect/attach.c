/* SPDX-License-Identifier: Apache-2.0 */
/* The user's --attach files: streamed through the sink (redacted, leak-scanned)
 * under attachments/. */
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "run.h"
#include "banned.h"

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
