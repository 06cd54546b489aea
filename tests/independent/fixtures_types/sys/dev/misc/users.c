/* The callers of kern/blob.c: parameters, a returned string, an
 * out-parameter, a global; each once with the right type, once not. */
#include <sys/malloc.h>

struct obj {
	int	o_n;
};
struct strs {
	char	*s_name;
	char	*s_other;
};
void	blob_release(void *, size_t);
void	obj_destroy(struct obj *);
char	*name_make(const char *);
void	get_str(char **);
extern void *gtab_mem;

void
use_blobs(void)
{
	void *x = malloc(16, M_AAA, M_WAITOK);			/* wrong:P1 */
	void *y = malloc(16, M_BBB, M_WAITOK);
	struct obj *o = malloc(sizeof(*o), M_BBB, M_WAITOK);	/* wrong:P2 */

	blob_release(x, 16);
	blob_release(y, 16);
	obj_destroy(o);
}

void
use_names(void)
{
	char *s = name_make("x");
	char *t = name_make("y");

	malloc_strfree(s, M_BBB);				/* wrong:R1 */
	malloc_strfree(t, M_AAA);
}

void
use_strs(struct strs *st)
{
	get_str(&st->s_name);
	get_str(&st->s_other);
	free(st->s_name, M_TEMP, 8);				/* wrong:O1 */
	free(st->s_other, M_AAA, 8);
}

void
gtab_fini(void)
{
	free(gtab_mem, M_TEMP, 128);				/* wrong:G1 */
}
