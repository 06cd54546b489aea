/*
 * retag: code under #if 0 never runs, so it neither frees nor allocates
 * the memory of the code around it.  mfii.c's OpenBSD leftovers: a dead
 * mallocarray() handed to an unknown function, whose memory no free
 * reaches, was joined by a guess with every free of the file, and as a
 * mallocarray cannot take a recorded block, all of mfii's memory (41
 * calls) kept M_DEVBUF.  Guesses no longer start or end under #if 0:
 * the live memory is retyped (M_GOLDEN is header-less: the buffer of
 * variable size is recorded), the dead calls are joined only by their
 * own flows (none here: they keep their type).
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_dmamem {
	void	*gd_kva;
	size_t	gd_size;
};

struct gold_conv {
	int	c_n;
};

void
gold_conv(void)
{
	struct gold_conv *c;

	c = malloc(sizeof(*c), M_GOLDEN, M_WAITOK);
	free(c, M_GOLDEN, sizeof(*c));
}

struct gold_dmamem *
gold_dmamem_alloc(size_t size)
{
	struct gold_dmamem *m;

	m = malloc(sizeof(*m), M_GOLDEN, M_WAITOK | M_ZERO);
	m->gd_size = size;
	m->gd_kva = malloc(size, M_RECORDED(M_GOLDEN), M_WAITOK);
	return m;
}

void
gold_dmamem_free(struct gold_dmamem *m)
{
	free(m->gd_kva, M_ASALLOCATED);
	free(m, M_GOLDEN, sizeof(*m));
}

#if 0
static int
gold_handles_update(void)
{
	uint16_t *handles;

	handles = mallocarray(16, sizeof(*handles), M_DEVBUF, M_WAITOK);
	srp_update_locked(&gold_gc, &gold_handles, handles);
	return 0;
}

static void
gold_handles_dtor(void *null, void *v)
{
	uint16_t *handles = v;

	free(handles, M_DEVBUF, sizeof(*handles) * 16);
}
#endif /* 0 */
