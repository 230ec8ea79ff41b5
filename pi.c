/* pi.c - dispatches on the name the binary was started under: pi, pi-runner or pi-merge. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentinit.h"
#include "config.h"
#include "pi.h"

static const struct personality {
	const char *name;
	int (*main)(int, char **);
} personalities[] = {
	{ "pi", wrapper_main },
	{ "pi-runner", runner_main },
	{ "pi-merge", mergecmd_main },
};

/* An unknown name may be the configured wrapper.commandName or wrapper.runnerName. */
static const struct personality *configured(const char *name)
{
	struct config c;
	struct config_err e;
	const struct personality *p = NULL;

	if (config_load(&c, pi_config_path(), geteuid() == 0 ? CONFIG_TRUST_ROOT : CONFIG_TRUST_ANY,
			&e) == 0) {
		if (!strcmp(name, c.command_name))
			p = &personalities[0];
		else if (!strcmp(name, c.runner_name))
			p = &personalities[1];
	}
	config_free(&c);
	return p;
}

int main(int argc, char **argv)
{
	const char *name;
	const struct personality *p = NULL;
	size_t i;

	if (argc < 1 || !argv[0]) {
		fputs("usage: run as pi, pi-runner or pi-merge\n", stderr);
		return EXIT_USAGE;
	}
	name = strrchr(argv[0], '/');
	name = name ? name + 1 : argv[0];
	for (i = 0; i < sizeof personalities / sizeof *personalities && !p; i++)
		if (!strcmp(name, personalities[i].name))
			p = &personalities[i];
	/* a configured runnerName as the agent unit's main process: the agent may not read the
	 * config that names it */
	if (!p && argc >= 2 && !strcmp(argv[1], AGENTINIT_FLAG)) {
		pi_prog = name;
		return agentinit_main(argc - 1, argv + 1);
	}
	if (!p)
		p = configured(name);
	if (!p) {
		fprintf(stderr, "%s: unknown name; run as pi, pi-runner or pi-merge\n", name);
		return EXIT_USAGE;
	}
	pi_prog = name;
	return p->main(argc, argv);
}
