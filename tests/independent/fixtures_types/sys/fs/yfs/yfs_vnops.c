/*
 * Another file system's readdir, of the caller's type, storing through a
 * local copy of the member.
 */
#include <sys/malloc.h>
#include <sys/vop.h>

int
yfs_readdir(void *v)
{
	struct vop_rd_args *ap = v;
	u_long **cpp = ap->a_cookies;
	u_long *cookies;

	cookies = malloc(8 * sizeof(*cookies), M_TEMP, M_WAITOK);
	*cpp = cookies;
	*ap->a_ncookies = 8;
	return 0;
}
