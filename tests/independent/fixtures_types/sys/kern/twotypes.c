/*
 * Only the struct type links a free to the allocations of its file.
 * A struct the file allocates under two types (x86 bus_dma.c's tags,
 * kern_hook.c's two lists): which reach the free is not known.  A struct
 * allocated under one other type only: a wrong type.
 */
#include <sys/malloc.h>

struct tg {
	int	tg_n;
};

struct tg *
tg_create(void)
{
	return malloc(sizeof(struct tg), M_AAA, M_WAITOK);
}

struct tg *
tg_sub(void)
{
	struct tg *t = malloc(sizeof(*t), M_BBB, M_WAITOK);

	return t;
}

void
tg_destroy(struct tg *t)
{
	free(t, M_AAA, sizeof(*t));				/* ambiguous */
}

struct tq {
	int	tq_n;
};

struct tq *
tq_create(void)
{
	return malloc(sizeof(struct tq), M_BBB, M_WAITOK);	/* wrong:T9 */
}

void
tq_destroy(struct tq *q)
{
	free(q, M_AAA, sizeof(*q));				/* wrong:T9 */
}
