/* mergecmd.c - pi-merge: prints the settings.json the agent gets, from BASE and OVERRIDE (or the config's settings). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fs.h"
#include "merge.h"
#include "caller.h"
#include "pi.h"
#include "say.h"

static int usage(FILE *to, int rc)
{
	fprintf(to, "usage: %s BASE.json [OVERRIDE.json] [-o OUT]\n"
		"       without OVERRIDE, the settings of %s are the override\n", pi_prog,
		caller_config_path());
	if (to == stdout)
		fputs("Prints the seed's deep merge of BASE and OVERRIDE as the agent's settings.json "
		      "gets it.\nSee pi-merge(1).\n", to);
	return rc;
}

static int load(struct json_doc *d, const char *path)
{
	struct json_err e;
	int fd = fs_open_regular(AT_FDCWD, path, 1);

	if (fd < 0) {
		pi_say("cannot read %s: %s", path, errno == EFTYPE_PI ? "not a regular file" :
		       strerror(errno));
		return -1;
	}
	if (json_load_lazy(d, fd, &e) < 0) {
		if (e.msg[0])
			pi_say("%s: line %d col %d: %s", path, e.line, e.col, e.msg);
		else
			pi_say("cannot read %s: %s", path, errno == EFBIG ?
			       "larger than the 16 MiB a settings file may have" : strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Writes the merge to out atomically: a temp file beside it, renamed over it. */
static int write_out(const char *out, struct json_val b, struct json_val o)
{
	char dir[PATH_MAX], base[PATH_MAX];
	struct fs_tmp t;
	mode_t mask = umask(0);
	int dfd, rc = -1;

	umask(mask);
	snprintf(dir, sizeof dir, "%s", out);
	snprintf(base, sizeof base, "%s", out);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fs_tmp_open(&t, dfd, basename(base), 1) < 0) {
		pi_say("cannot write %s: %s", out, strerror(errno));
	} else if (merge_json(t.fd, b, o) < 0 || fs_tmp_commit(&t, 0666 & ~mask) < 0) {
		pi_say("cannot write %s: %s", out, strerror(errno));
		fs_tmp_abort(&t);
	} else {
		rc = 0;
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int mergecmd_main(int argc, char **argv)
{
	struct json_doc base = { 0 }, over = { 0 };
	struct config c = { 0 };
	struct config_err ce;
	const char *files[2] = { NULL, NULL }, *out = NULL;
	struct json_val b = { &base, 0 }, o = { &over, 0 };
	int i, n = 0, rc = EXIT_DENIED;

	if (argc == 2 && !strcmp(argv[1], "--help"))
		return usage(stdout, 0);
	if (argc == 2 && !strcmp(argv[1], "--version"))
		return pi_version();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc && !out)
			out = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return usage(stderr, EXIT_USAGE);
		else if (n < 2)
			files[n++] = argv[i];
		else
			return usage(stderr, EXIT_USAGE);
	}
	if (!n)
		return usage(stderr, EXIT_USAGE);
	if (load(&base, files[0]) < 0)
		goto done;
	if (n == 2 && load(&over, files[1]) < 0)
		goto done;
	if (n == 1) {
		if (config_load(&c, caller_config_path(), CONFIG_TRUST_ANY, &ce) < 0) {
			pi_say_config_error(caller_config_path(), &ce);
			goto done;
		}
		o.doc = &c.doc;
		o.tok = c.settings;
	}
	if (out)
		rc = write_out(out, b, o) < 0 ? EXIT_DENIED : 0;
	else if (merge_json(1, b, o) < 0)
		pi_say("cannot write the output: %s", strerror(errno));
	else
		rc = 0;
done:
	json_free(&base);
	json_free(&over);
	config_free(&c);
	return rc;
}
