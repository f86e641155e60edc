/* SPDX-License-Identifier: Apache-2.0 */
/* Replays a fuzz corpus as an ordinary test (systemd's fuzz-main): each file of
 * the folders given on the command line goes through LLVMFuzzerTestOneInput once.
 * Under ASan/UBSan this turns every committed crash reproducer into a regression
 * test. A folder that is missing or unreadable, a file that cannot be read, or a
 * replay of zero inputs fails the test: an empty replay proves nothing. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0;
	int errors = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE ...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(argv[i]) == 0)
				files++;
			else {
				fprintf(stderr, "%s: cannot read\n", argv[i]);
				errors++;
			}
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			fprintf(stderr, "%s: corpus folder missing or unreadable\n", argv[i]);
			errors++;
			continue;
		}
		while ((de = readdir(d))) {
			char p[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
			if (run_file(p) == 0)
				files++;
			else {
				fprintf(stderr, "%s: cannot read\n", p);
				errors++;
			}
		}
		closedir(d);
	}
	printf("replayed %d input(s)\n", files);
	if (files == 0) {
		fprintf(stderr, "no input replayed: the corpus is empty\n");
		return 1;
	}
	return errors ? 1 : 0;
}
