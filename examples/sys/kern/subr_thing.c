/*
 * subr_thing.c: a kernel service that releases memory its callers
 * allocated.  Outside sys/dev, so the converter leaves it alone -- and must
 * therefore leave the drivers' allocations of t_buf as kmem too.
 */
#include <sys/param.h>
#include <sys/kmem.h>
#include <sys/thing.h>

void
thing_destroy(struct thing *t)
{

	kmem_free(t->t_buf, t->t_len);
	t->t_buf = NULL;
}
