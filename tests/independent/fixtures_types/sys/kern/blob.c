/* Release helpers: memory handed to a function's parameter by callers in
 * other files (dev/misc/users.c). */
#include <sys/malloc.h>

struct obj {
	int	o_n;
};

void
blob_release(void *p, size_t n)
{
	free(p, M_BBB, n);					/* wrong:P1 */
}

void
obj_destroy(struct obj *o)
{
	free(o, M_AAA, sizeof(*o));				/* wrong:P2 */
}

char *
name_make(const char *s)
{
	return malloc_strdup(s, M_AAA, M_WAITOK);		/* wrong:R1 */
}

void
get_str(char **out)
{
	*out = malloc(8, M_AAA, M_WAITOK);			/* wrong:O1 */
}

void *gtab_mem;

void
gtab_init(void)
{
	gtab_mem = malloc(128, M_AAA, M_WAITOK);		/* wrong:G1 */
}

void
dyn_free(void *p, struct malloc_type *t)
{
	free(p, t);						/* dynamic */
}
