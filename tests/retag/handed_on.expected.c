/*
 * retag: a readdir hands its cookies to its caller through an
 * out-parameter of a vnode operation (reached through a function pointer
 * the flow graph does not follow), and frees them itself only on its
 * error path.  The caller frees them as M_DEVBUF (here), so the
 * allocation keeps M_DEVBUF: reason `handed-on`.  A buffer handed on the
 * same way whose caller's free is seen changes with it.
 */
#include <sys/param.h>
#include <sys/malloc.h>

struct gold_readdir_args {
	long	**a_cookies;
	int	a_n;
};

struct gold_get_args {
	char	**a_buf;
};

int
gold_readdir(void *v)
{
	struct gold_readdir_args *ap = v;
	long *cookies;
	int error = 0;

	cookies = malloc(ap->a_n * sizeof(long), M_DEVBUF, M_WAITOK);
	if (error) {
		free(cookies, M_DEVBUF);
		return error;
	}
	*ap->a_cookies = cookies;
	return 0;
}

static void
gold_get(char **bufp)
{
	char *buf;

	buf = malloc(64, M_GOLDEN, M_WAITOK);
	*bufp = buf;
}

void
gold_use(void)
{
	char *buf;

	gold_get(&buf);
	free(buf, M_GOLDEN);
}
