/* deny.h - the seed's words for who may not launch where: denials, roots set aside, users missing from hostUsers. */
#ifndef DENY_H
#define DENY_H
#include "policy.h"

/* The seed's denial text for a policy result (nothing for POLICY_OK / POLICY_ERROR). */
void deny_denial(const struct policy *p, enum policy_result r, const char *user,
		   const char *config);
/* A warning for each root policy_refuse set aside. */
void deny_refused(const struct policy *p);
/* The other host users' roots (hidden from the unit) could not be resolved: errno's reason. */
void deny_others_unresolved(int err);
/* The seed's refusal of a user missing from hostUsers, with what to do. */
void deny_not_allowed(const char *user, const char *command, const char *config);
/* The seed's words for an agent not found at tried, with the listing of the package's bin/,
 * and what to set when the package is itself that bin/ directory. */
void deny_no_agent(const struct config *c, const char *tried);
/* The shared-group rule broken (config_shared_group): hosts i and j of c, after prefix. */
void deny_shared_group(const char *prefix, const struct config *c, size_t i, size_t j,
			 gid_t gid);
#endif
