/*
 * udf_subr.c: what it frees comes from rd_read() (another file), through
 * an out-parameter; a scratch descriptor of the same union, under another
 * type, handed to a function not read here, is not what it frees.  And a
 * struct cl reached from a struct lay allocation through a generic pointer
 * is not that allocation's type (nfs_clstate.c).
 */
#include <sys/malloc.h>
#include <sys/dsc.h>

void
rd_use(void)
{
	union dsc *d;

	if (rd_read(&d) == 0)
		free(d, M_AAA, sizeof(*d));
}

void
rd_term(void)
{
	union dsc *t = malloc(sizeof(*t), M_TEMP, M_WAITOK);

	rd_write(t);
	free(t, M_TEMP, sizeof(*t));
}

struct cl {
	int	c_n;
};
struct lay {
	struct lay	*l_next;
};

void
lay_new(void)
{
	struct lay *ly = malloc(sizeof(*ly), M_AAA, M_WAITOK);
	void *v = ly;
	struct cl *c = v;

	c->c_n = 0;
}

void
cl_free(struct cl *clp)
{
	free(clp, M_BBB, sizeof(*clp));
}
