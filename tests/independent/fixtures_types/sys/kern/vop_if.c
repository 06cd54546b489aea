/*
 * vnode_if.c's stub: no allocator here, so it is read only because a
 * caller hands VOP_RD() an out-parameter (&cookies) and no other file
 * defines it.  Its argument struct goes on through a function pointer.
 */
#include <sys/vop.h>

int (*vop_rd_vec)(void *);

int
VOP_RD(void *vp,
    u_long **cookies,
    int *ncookies)
{
	struct vop_rd_args a;

	a.a_vp = vp;
	a.a_cookies = cookies;
	a.a_ncookies = ncookies;
	return (*vop_rd_vec)(&a);
}
