#include <sys/param.h>
#include <sys/kmem.h>

/* A km_flag_t parameter is not translated: the pair stays kmem. */
static void *
gold_getbuf(size_t len, km_flag_t kmflags)
{

	return kmem_alloc(len, kmflags);
}

void
gold_use(void)
{
	char *b;

	b = gold_getbuf(10, KM_SLEEP);
	kmem_free(b, 10);
}
