/*
 * Another file system's readdir, of the caller's type, storing through a
 * local copy of the member; and one whose own free of its cookies is
 * linked to its own allocation alone.
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

/* its own cookies, freed on an error: not the other file systems' */
int
yfs_readdir_err(void *v)
{
	struct vop_rd_args *ap = v;

	*ap->a_cookies = malloc(8 * sizeof(u_long), M_TEMP, M_WAITOK);
	free(*ap->a_cookies, M_TEMP);
	*ap->a_cookies = 0;
	return 1;
}
