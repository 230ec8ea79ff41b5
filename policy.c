/* policy.c - who may launch where: expands and resolves project roots, checks the working directory.
 *
 * MUST rules kept here:
 * - containment is decided on resolved paths, component-wise ("/p" never contains "/p2");
 * - the runner calls policy_check with the host user's filesystem identity active, so a
 *   path the user cannot see resolves as missing, never through root's eyes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "policy.h"

static int put(char *out, size_t n, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return 0;
}

int policy_expand(const char *root, const char *home, char *out, size_t n)
{
	if (!strcmp(root, "~"))
		return put(out, n, home, "", "");
	if (!strncmp(root, "~/", 2))
		return put(out, n, home, "/", root + 2);
	if (root[0] == '/')
		return put(out, n, root, "", "");
	return put(out, n, home, "/", root);
}

int policy_resolve(const char *path, char *out, size_t n)
{
	return fs_resolve(path, out, n, NULL, NULL);
}

int policy_within(const char *path, const char *root)
{
	size_t l = strlen(root);

	if (!strcmp(root, "/"))
		return path[0] == '/';
	return !strncmp(path, root, l) && (path[l] == '\0' || path[l] == '/');
}

static int add(char **list, size_t *n, const char *s)
{
	if (*n >= POLICY_MAX_ROOTS) {
		errno = E2BIG;
		return -1;
	}
	list[*n] = strdup(s);
	if (!list[*n])
		return -1;
	(*n)++;
	return 0;
}

enum policy_result policy_check(struct policy *p, const struct strlist *roots, const char *home,
				const char *cwd)
{
	char exp[PATH_MAX], res[PATH_MAX];
	struct stat st;
	size_t i, best = 0;

	memset(p, 0, sizeof *p);
	p->match = -1;
	if (cwd[0] != '/') {
		errno = EINVAL;
		return POLICY_ERROR;
	}
	if (policy_resolve(cwd, p->cwd, sizeof p->cwd) < 0)
		return POLICY_ERROR;
	for (i = 0; i < roots->n; i++) {
		if (policy_expand(roots->v[i], home, exp, sizeof exp) < 0 ||
		    policy_resolve(exp, res, sizeof res) < 0)
			return POLICY_ERROR;
		if (stat(res, &st) < 0 || !S_ISDIR(st.st_mode)) {
			if (add(p->missing, &p->nmissing, res) < 0)
				return POLICY_ERROR;
			continue;
		}
		if (add(p->roots, &p->nroots, res) < 0)
			return POLICY_ERROR;
		if (policy_within(p->cwd, res) && (p->match < 0 || strlen(res) > best)) {
			p->match = (int)p->nroots - 1;
			best = strlen(res);
		}
	}
	if (!p->nroots)
		return POLICY_NO_ROOTS;
	return p->match < 0 ? POLICY_OUTSIDE : POLICY_OK;
}

void policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nroots; i++)
		free(p->roots[i]);
	for (i = 0; i < p->nmissing; i++)
		free(p->missing[i]);
	for (i = 0; i < p->nrefused; i++)
		free(p->refused[i]);
	p->nroots = p->nmissing = p->nrefused = 0;
}

int policy_slug(const char *root, size_t index, char *out, size_t n)
{
	char num[24], slug[PATH_MAX];
	size_t j = 0;
	const char *s = root;

	while (*s == '/')
		s++;
	for (; *s && j < sizeof slug - 1; s++) {
		char ch = *s == '/' ? '-' : *s;

		if (ch == '-' && j && slug[j - 1] == '-')
			continue;
		slug[j++] = ch;
	}
	while (j && slug[j - 1] == '-')
		j--;
	slug[j] = '\0';
	snprintf(num, sizeof num, "%zu-", index);
	return put(out, n, num, j ? slug : "root", "");
}

int policy_refuse(struct policy *p, const char *const *forbidden)
{
	size_t i, j, k = 0, best = 0;
	const char *why;

	p->match = -1;
	for (i = 0; i < p->nroots; i++) {
		why = !strcmp(p->roots[i], "/") ? "/" : NULL;
		for (j = 0; !why && forbidden[j]; j++)
			if (policy_within(p->roots[i], forbidden[j]) ||
			    policy_within(forbidden[j], p->roots[i]))
				why = forbidden[j];
		if (why && p->nrefused < POLICY_MAX_ROOTS) {
			p->refused[p->nrefused] = p->roots[i];
			p->refused_why[p->nrefused++] = why;
			continue;
		}
		p->roots[k] = p->roots[i];
		if (policy_within(p->cwd, p->roots[k]) && (p->match < 0 || strlen(p->roots[k]) > best)) {
			p->match = (int)k;
			best = strlen(p->roots[k]);
		}
		k++;
	}
	p->nroots = k;
	if (!p->nroots)
		return POLICY_NO_ROOTS;
	return p->match < 0 ? POLICY_OUTSIDE : POLICY_OK;
}
