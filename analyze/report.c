/* SPDX-License-Identifier: Apache-2.0 */
/* Report front end: format names, the view every renderer draws from (diagnosis
 * order, what to collect next, merged warnings, tallies), escaping of untrusted
 * text for each output format, and the check catalog (apigee-bundle checks). */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle.h"
#include "checks.h"
#include "findings.h"
#include "model.h"
#include "report_impl.h"
#include "text.h"
#include "banned.h"

static const char *const format_names[REPORT__MAX] = {
	[REPORT_TEXT] = "text",
	[REPORT_JSON] = "json",
	[REPORT_MARKDOWN] = "markdown",
	[REPORT_HTML] = "html",
};

enum report_format report_format_from_name(const char *name)
{
	if (!name)
		return REPORT__INVALID;
	for (size_t i = 0; i < REPORT__MAX; i++)
		if (strcasecmp(name, format_names[i]) == 0)
			return (enum report_format)i;
	if (strcasecmp(name, "md") == 0)
		return REPORT_MARKDOWN;
	if (strcasecmp(name, "txt") == 0)
		return REPORT_TEXT;
	return REPORT__INVALID;
}

enum report_format report_format_from_path(const char *path)
{
	static const struct {
		const char *ext;
		enum report_format format;
	} exts[] = {
		{ ".html", REPORT_HTML },   { ".htm", REPORT_HTML },
		{ ".md", REPORT_MARKDOWN }, { ".markdown", REPORT_MARKDOWN },
		{ ".json", REPORT_JSON },   { ".txt", REPORT_TEXT },
		{ ".text", REPORT_TEXT },
	};
	const char *dot, *slash;

	if (!path)
		return REPORT__INVALID;
	dot = strrchr(path, '.');
	slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		return REPORT__INVALID;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcasecmp(dot, exts[i].ext) == 0)
			return exts[i].format;
	return REPORT__INVALID;
}

/* ---- escaping ------------------------------------------------------------- */

/* Output goes either to a FILE or to a buffer. */
struct sink {
	FILE *f;
	struct buf *b;
	int r;
};

static void sink_write(struct sink *s, const char *p, size_t n)
{
	if (s->f) {
		if (n && fwrite(p, 1, n, s->f) != n)
			s->r = -EIO;
	} else if (s->r == 0) {
		s->r = buf_append(s->b, p, n);
	}
}

static void sink_hex(struct sink *s, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char t[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	sink_write(s, t, 4);
}

/* Length of the valid UTF-8 sequence at p (1..4) and its code point, or 0 when the
 * bytes at p are not UTF-8 (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *p, unsigned *ret_cp)
{
	unsigned cp;
	size_t n;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/* Code points that must not reach a terminal or a page as themselves: C1
 * controls, line/paragraph separators and the bidirectional overrides that can
 * make text display differently from what it is. */
static bool cp_is_hostile(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Characters markdown reads as syntax wherever they stand. The others are escaped
 * only where they would act: "#", ">" and list markers at a line start, "&" before
 * what could be an entity, "!" before "[", "~" next to "~", "|" in a table, "["
 * unless "[]", "]" before "(", "[" or ":". */
static bool md_special(char c)
{
	return strchr("\\`*<", c) != NULL;
}

static bool ascii_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool md_acts(char c, char prev, char next, size_t pos, bool leading_digits)
{
	if (md_special(c))
		return true;
	switch (c) {
	case '_':
		/* CommonMark never reads "_" inside a word (snake_case) as emphasis */
		return !(ascii_alnum(prev) && ascii_alnum(next));
	case '&':
		return ascii_alnum(next) || next == '#';
	case '!':
		return next == '[';
	case '[':
		/* "[]" is no link text; "[x]" could be */
		return next != ']';
	case ']':
		return next == '(' || next == '[' || next == ':';
	case '~':
		return prev == '~' || next == '~';
	case '#':
	case '>':
	case '-':
	case '+':
	case '=':
		return pos == 0;
	case '.':
	case ')':
		return leading_digits;
	default:
		return false;
	}
}

/* prev and next are the neighbouring bytes ('\0' at either end). */
static void escape_ascii(struct sink *s, char c, char prev, char next, size_t pos,
                         bool leading_digits, enum report_esc mode)
{
	switch (mode) {
	case ESC_MD:
	case ESC_MD_TABLE:
		if (md_acts(c, prev, next, pos, leading_digits) ||
		    (mode == ESC_MD_TABLE && c == '|'))
			sink_write(s, "\\", 1);
		sink_write(s, &c, 1);
		return;
	case ESC_MD_CELL:
		if (c == '|')
			sink_write(s, "\\", 1);
		sink_write(s, &c, 1);
		return;
	case ESC_HTML:
		switch (c) {
		case '&':
			sink_write(s, "&amp;", 5);
			return;
		case '<':
			sink_write(s, "&lt;", 4);
			return;
		case '>':
			sink_write(s, "&gt;", 4);
			return;
		case '"':
			sink_write(s, "&quot;", 6);
			return;
		case '\'':
			sink_write(s, "&#39;", 5);
			return;
		default:
			break;
		}
		sink_write(s, &c, 1);
		return;
	case ESC_TEXT:
	case ESC_MD_CODE:
	default:
		sink_write(s, &c, 1);
		return;
	}
}

static void escape_to(struct sink *s, const char *str, enum report_esc mode)
{
	const unsigned char *p = (const unsigned char *)str;
	bool leading_digits = true;
	size_t pos = 0;
	char prev = '\0';

	if (!str)
		return;
	while (*p) {
		unsigned cp = 0;
		size_t n = utf8_decode(p, &cp);

		if (n == 0) {
			sink_hex(s, *p);
			prev = '\0';
			p++;
		} else if (n == 1) {
			char c = (char)*p;

			if (c == '\t')
				c = ' ';
			if ((unsigned char)c < 0x20 || c == 0x7f)
				sink_hex(s, (unsigned char)c);
			else
				escape_ascii(s, c, prev, (char)p[1], pos, leading_digits && pos > 0,
				             mode);
			if (!(c >= '0' && c <= '9'))
				leading_digits = false;
			prev = c;
			p++;
		} else {
			if (cp_is_hostile(cp))
				for (size_t i = 0; i < n; i++)
					sink_hex(s, p[i]);
			else
				sink_write(s, (const char *)p, n);
			leading_digits = false;
			prev = '\0';
			p += n;
		}
		pos++;
	}
}

void report_put(FILE *out, const char *s, enum report_esc mode)
{
	struct sink k = { out, NULL, 0 };

	escape_to(&k, s, mode);
}

int report_escape(struct buf *dst, const char *s, enum report_esc mode)
{
	struct sink k = { NULL, dst, 0 };

	escape_to(&k, s, mode);
	if (k.r == 0 && !dst->data)
		k.r = buf_append(dst, "", 0);
	return k.r;
}

size_t report_text_width(const char *s)
{
	struct buf b = BUF_INIT;
	size_t w = 0;

	if (!s)
		return 0;
	if (report_escape(&b, s, ESC_TEXT) < 0) {
		buf_release(&b);
		return strlen(s);
	}
	for (size_t i = 0; i < b.len; i++)
		if (((unsigned char)b.data[i] & 0xc0) != 0x80)
			w++;
	buf_release(&b);
	return w;
}

size_t report_backtick_run(const char *s)
{
	size_t best = 0, run = 0;

	for (; s && *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* ---- findings helpers ------------------------------------------------------ */

const char *report_check_id(const struct finding *f)
{
	return f->check && f->check->id ? f->check->id : "UNKNOWN-000";
}

const char *report_check_title(const struct finding *f)
{
	return f->check && f->check->title ? f->check->title : "";
}

const char *report_check_heading(const struct finding *f)
{
	if (f->status == STATUS_PASS && f->check && f->check->pass)
		return f->check->pass;
	return report_check_title(f);
}

int report_playbooks(const struct check *c, struct buf *out)
{
	const char *p = c && c->source ? c->source : "";
	int r = 0;

	for (size_t n = 0; r == 0 && *p; n++) {
		size_t len = strcspn(p, ",");
		char file[128];
		const char *title;

		if (len < sizeof(file)) {
			memcpy(file, p, len);
			file[len] = '\0';
			title = check_playbook_title(file);
		} else {
			title = NULL;
		}
		r = buf_printf(out, "%s", n ? "; " : "");
		if (r == 0)
			r = title ? buf_printf(out, "%s", title) : buf_append(out, p, len);
		p += len;
		p += strspn(p, ", ");
	}
	return r;
}

bool report_is_problem(const struct finding *f)
{
	return f->status == STATUS_FAIL || f->status == STATUS_WARN || f->status == STATUS_ERROR;
}

bool report_shown(const struct report_view *v, const struct finding *f)
{
	return !v->opts->only_problems || report_is_problem(f);
}

void report_put_hidden(FILE *out, const struct report_view *v, const char *pre, const char *post)
{
	size_t pass = v->counts[STATUS_PASS], skip = v->counts[STATUS_SKIP];

	if (!v->opts->only_problems || pass + skip == 0)
		return;
	fprintf(out, "%s(%zu passing and %zu skipped check%s not shown: --only-problems)%s", pre,
	        pass, skip, pass + skip == 1 ? "" : "s", post);
}

bool report_is_symptom(const struct finding *f)
{
	return f->family && f->family->symptom;
}

const char *report_summary(const struct finding *f)
{
	if (f->summary && *f->summary)
		return f->summary;
	switch (f->status) {
	case STATUS_PASS:
		return "no sign of this cause";
	case STATUS_WARN:
		return "a partial sign of this cause";
	case STATUS_FAIL:
		return "this cause is present";
	case STATUS_SKIP:
		return "not run: an input it needs is not in the bundle";
	case STATUS_ERROR:
		return "an input it needs could not be read";
	default:
		return "";
	}
}

const char *report_no_symptom_text(const struct report_view *v)
{
	if (v->symptoms_all_skipped)
		return "none shown: the input has no client transcript (attach the failing "
		       "'curl -v' output with --attach)";
	return "none shown by the client transcripts in the input";
}

const char *report_status_upper(enum status s)
{
	static const char *const upper[STATUS__MAX] = {
		[STATUS_PASS] = "PASS", [STATUS_WARN] = "WARN",   [STATUS_FAIL] = "FAIL",
		[STATUS_SKIP] = "SKIP", [STATUS_ERROR] = "ERROR",
	};

	if (s < 0 || s >= STATUS__MAX)
		return "?";
	return upper[s];
}

const struct finding *report_find(const struct report_view *v, const char *id)
{
	for (size_t i = 0; i < v->fs->n; i++)
		if (strcmp(report_check_id(&v->fs->items[i]), id) == 0)
			return &v->fs->items[i];
	return NULL;
}

/* ---- the view --------------------------------------------------------------- */

struct ranked {
	const struct finding *f;
	size_t index;
	bool linked; /* a failing symptom points to it */
};

/* Strongest first: fail before warn, higher severity, supported by a symptom,
 * then registry order (stable). */
static int ranked_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int sa = a->f->status == STATUS_FAIL ? 0 : 1;
	int sb = b->f->status == STATUS_FAIL ? 0 : 1;

	if (sa != sb)
		return sa - sb;
	if (a->f->severity != b->f->severity)
		return (int)b->f->severity - (int)a->f->severity;
	if (a->linked != b->linked)
		return a->linked ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

static bool symptom_points_to(const struct report_view *v, const char *id)
{
	for (size_t i = 0; i < v->n_symptoms; i++)
		if (strv_contains(&v->symptoms[i]->related, id))
			return true;
	return false;
}

static int view_diagnosis(struct report_view *v)
{
	const struct findings *fs = v->fs;
	struct ranked *rk = NULL;
	size_t n_rk = 0, n_curl = 0, n_curl_skip = 0;

	v->symptoms = calloc(fs->n + 1, sizeof(*v->symptoms));
	v->causes = calloc(fs->n + 1, sizeof(*v->causes));
	rk = calloc(fs->n + 1, sizeof(*rk));
	if (!v->symptoms || !v->causes || !rk) {
		free(rk);
		return -ENOMEM;
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->items[i];
		bool bad = f->status == STATUS_FAIL || f->status == STATUS_WARN;

		if (report_is_symptom(f)) {
			n_curl++;
			if (f->status == STATUS_SKIP)
				n_curl_skip++;
			if (bad)
				v->symptoms[v->n_symptoms++] = f;
		}
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->items[i];

		if (report_is_symptom(f) || (f->status != STATUS_FAIL && f->status != STATUS_WARN))
			continue;
		rk[n_rk].f = f;
		rk[n_rk].index = i;
		rk[n_rk].linked = symptom_points_to(v, report_check_id(f));
		n_rk++;
	}
	if (n_rk > 1)
		qsort(rk, n_rk, sizeof(*rk), ranked_cmp);
	for (size_t i = 0; i < n_rk; i++)
		v->causes[i] = rk[i].f;
	v->n_causes = n_rk;
	v->symptoms_all_skipped = n_curl > 0 && n_curl == n_curl_skip;
	free(rk);
	return 0;
}

#define NA_PREFIX "not applicable: "

static bool is_not_applicable(const struct finding *f)
{
	return f->status == STATUS_SKIP && f->missing &&
	       strncmp(f->missing, NA_PREFIX, strlen(NA_PREFIX)) == 0;
}

const char *report_family_na(const struct report_view *v, const struct check_family *family)
{
	const char *reason = NULL;

	if (!family)
		return NULL;
	for (size_t i = 0; i < v->fs->n; i++) {
		const struct finding *f = &v->fs->items[i];

		if (f->family != family)
			continue;
		if (!is_not_applicable(f) || (reason && strcmp(reason, f->missing) != 0))
			return NULL;
		reason = f->missing;
	}
	return reason ? reason + strlen(NA_PREFIX) : NULL;
}

/* Skips grouped by the command that would supply their input, in check order.
 * Checks that do not apply ("not applicable: hybrid organization") need nothing. */
static int view_collect(struct report_view *v)
{
	const struct findings *fs = v->fs;

	v->collect = calloc(fs->n + 1, sizeof(*v->collect));
	if (!v->collect)
		return -ENOMEM;
	for (size_t i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->items[i];
		const char *cmd = f->collect_hint ? f->collect_hint
		                  : f->check      ? f->check->collect_hint
		                                  : NULL;
		const char *missing = f->missing ? f->missing : f->check ? f->check->inputs : NULL;
		struct report_collect *c = NULL;
		int r;

		if (f->status != STATUS_SKIP || is_not_applicable(f))
			continue;
		for (size_t j = 0; j < v->n_collect; j++) {
			const struct report_collect *o = &v->collect[j];

			if ((cmd && o->command && strcmp(cmd, o->command) == 0) ||
			    (!cmd && !o->command))
				c = &v->collect[j];
		}
		if (!c) {
			c = &v->collect[v->n_collect++];
			c->command = cmd;
		}
		r = strv_push_unique(&c->checks, report_check_id(f));
		if (r == 0 && missing)
			r = strv_push_unique(&c->missing, missing);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The runner's warnings as sentences, and the count of unreadable members. */
static int view_warnings(struct report_view *v)
{
	const struct bundle *b = v->bundle;
	struct buf line = BUF_INIT;
	int r = 0;

	for (size_t i = 0; r == 0 && i < v->fs->n_warnings; i++) {
		buf_reset(&line);
		r = warning_text(&v->fs->warnings[i], &line);
		if (r == 0)
			r = strv_push(&v->warnings, line.data ? line.data : "");
	}
	buf_release(&line);
	for (size_t i = 0; b && i < b->n_artifacts; i++)
		if (b->artifacts[i].failed)
			v->n_unreadable++;
	return r;
}

int report_view_init(struct report_view *v, const struct bundle *b, const struct findings *fs,
                     const struct report_options *opts)
{
	int64_t t;
	int r;

	memset(v, 0, sizeof(*v));
	v->bundle = b;
	v->fs = fs;
	v->opts = opts;
	v->input = opts && opts->input ? opts->input : b && b->input ? b->input : "-";

	t = fs->collected_at ? fs->collected_at : b ? b->collected_at : 0;
	text_format_time(t, v->collected_at, sizeof(v->collected_at));
	switch (fs->time_source) {
	case TIME_FROM_MANIFEST:
		v->time_source = "manifest";
		v->time_source_text = "from the bundle manifest";
		break;
	case TIME_FROM_NEWEST_TIMESTAMP:
		v->time_source = "newest-timestamp";
		v->time_source_text = "newest timestamp in the input; no manifest";
		break;
	default:
		v->time_source = "analysis-clock";
		v->time_source_text = "analysis clock; no manifest and no timestamps in the input";
		break;
	}
	for (size_t i = 0; i < fs->n; i++)
		if (fs->items[i].status >= 0 && fs->items[i].status < STATUS__MAX)
			v->counts[fs->items[i].status]++;
	for (size_t i = 0; b && i < b->n_artifacts; i++) {
		v->n_artifacts++;
		if (b->artifacts[i].kind >= 0 && b->artifacts[i].kind < ART__MAX)
			v->kind_counts[b->artifacts[i].kind]++;
	}

	r = view_diagnosis(v);
	if (r == 0)
		r = view_collect(v);
	if (r == 0)
		r = view_warnings(v);
	if (r < 0)
		report_view_release(v);
	return r;
}

void report_view_release(struct report_view *v)
{
	if (!v)
		return;
	free(v->symptoms);
	free(v->causes);
	for (size_t i = 0; v->collect && i < v->n_collect; i++) {
		strv_release(&v->collect[i].missing);
		strv_release(&v->collect[i].checks);
	}
	free(v->collect);
	strv_release(&v->warnings);
	memset(v, 0, sizeof(*v));
}

int report_write(FILE *out, const struct bundle *b, const struct findings *fs,
                 const struct report_options *opts)
{
	struct report_view v;
	int r;

	if (!out || !fs || !opts)
		return -EINVAL;
	r = report_view_init(&v, b, fs, opts);
	if (r < 0)
		return r;
	switch (opts->format) {
	case REPORT_TEXT:
		r = report_text_write(out, &v);
		break;
	case REPORT_JSON:
		r = report_json_write(out, &v);
		break;
	case REPORT_MARKDOWN:
		r = report_md_write(out, &v);
		break;
	case REPORT_HTML:
		r = report_html_write(out, &v);
		break;
	default:
		r = -EINVAL;
		break;
	}
	report_view_release(&v);
	if (r == 0 && (fflush(out) != 0 || ferror(out)))
		r = -EIO;
	return r;
}

/* ---- the catalog -------------------------------------------------------------- */

static void catalog_text(FILE *out)
{
	size_t n_fam, n = 0;
	const struct check_family *fams = check_families(&n_fam);

	fprintf(out, "%-9s %-9s %s\n", "ID", "SEVERITY", "TITLE");
	for (size_t i = 0; i < n_fam; i++) {
		fprintf(out, "\n%s \xe2\x80\x94 %s\n", fams[i].id, fams[i].title);
		for (size_t j = 0; j < fams[i].rows->n; j++) {
			const struct check *c = &fams[i].rows->v[j];

			fprintf(out, "%-9s %-9s %s\n", c->id, severity_name(c->severity),
			        c->title ? c->title : "");
			if (c->inputs)
				fprintf(out, "%-19s inputs: %s\n", "", c->inputs);
			n++;
		}
	}
	fprintf(out, "\n%zu checks. 'apigee-bundle analyze INPUT --check ID' runs only some.\n", n);
}

int report_catalog(FILE *out, enum report_format format)
{
	int r = 0;

	if (!out)
		return -EINVAL;
	switch (format) {
	case REPORT_TEXT:
		catalog_text(out);
		break;
	case REPORT_JSON:
		r = report_json_catalog(out);
		break;
	default:
		return -EINVAL;
	}
	if (r == 0 && (fflush(out) != 0 || ferror(out)))
		r = -EIO;
	return r;
}
