/* project.h - the plan for the project's own .pi under projectConfig: merged settings, hidden dirs, trust. */
#ifndef PROJECT_H
#define PROJECT_H
#include "plan.h"

/* projectConfig for this launch: reads the project's .pi as the host user and plans what
 * the unit sees of it; with launch, writes the merged settings and trust.json. Needs
 * r->agent_bin. Returns 0, or -1 after saying why through r->say. */
int project_plan(struct run *r, int launch);
/* Mounts the plan over the project inside the staged roots (r->mnt): the merged settings, the
 * hidden dirs (cover.c). Returns 0, or -1 after saying why; the caller releases r->mnt. */
int project_cover(struct run *r);
/* Removes what project_plan wrote for the launch. */
void project_release(struct run *r);
#endif
