/*
 * A statement after // comment lines (riscv's netbsd32_machdep.c): the
 * comment ends nothing, but no statement goes on past it either, so the
 * rewritten call keeps its own indent; a // comment after the code of a
 * line does not hide the ';' before it.
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_uc {
	int	uc_flags;
};

void
gold_startlwp(void *arg)
{
	struct gold_uc * const uc = arg;
	int x;

	// Even though this is a gold_uc, the space allocated was for a
	// full one
	free(uc, M_GOLDEN, sizeof(*uc));
	x = 1;	// a "trailing" comment
	uc->uc_flags = x;
}

struct gold_uc *
gold_alloc(void)
{
	struct gold_uc *uc;

	uc = malloc(sizeof(*uc), M_GOLDEN, M_WAITOK | M_ZERO);	// zeroed
	return uc;
}
