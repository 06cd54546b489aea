/*
 * nfs_serv.c: frees the cookies VOP_RD() hands back, as M_TEMP.
 */
#include <sys/malloc.h>
#include <sys/vop.h>

void
nfsrv_rd(void *vp)
{
	u_long *cookies = NULL;
	int ncookies;

	if (VOP_RD(vp, &cookies, &ncookies) == 0)
		free(cookies, M_TEMP);	/* wrong:rdc */
}
