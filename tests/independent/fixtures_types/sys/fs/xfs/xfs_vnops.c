/*
 * A file system's readdir: its cookies go out through the argument
 * struct's out-parameter member; the caller frees them (nfs_srv.c).
 * This one's type is not the caller's.
 */
#include <sys/malloc.h>
#include <sys/vop.h>

int
xfs_readdir(void *v)
{
	struct vop_rd_args *ap = v;
	u_long *cookies;

	cookies = malloc(16 * sizeof(*cookies), M_AAA, M_WAITOK);	/* wrong:rdc */
	*ap->a_cookies = cookies;
	*ap->a_ncookies = 16;
	return 0;
}
