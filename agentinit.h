/* agentinit.h - the agent unit's main process (pi-agent-init, never root): runs the agent, exits with its status or 128+N. */
#ifndef AGENTINIT_H
#define AGENTINIT_H

/* The name the binary answers to as the unit's main process: a link beside it (make install). */
#define AGENTINIT_NAME "pi-agent-init"
/* Created and removed in --suspend=DIR (the agent home) when the agent stops itself (Ctrl-Z). */
#define AGENTINIT_MARK ".pi-agent-suspended"

/* argv: pi-agent-init [--suspend=DIR] [--cover=DEV:INO:/PATH | --hidden=/PATH]...
 * /path/of/agent [args...]. Returns the agent's exit status, 128 + N when signal N ended it,
 * 127 when it cannot be run, 1 when a covered path is not its cover. */
int agentinit_main(int argc, char **argv);
#endif
