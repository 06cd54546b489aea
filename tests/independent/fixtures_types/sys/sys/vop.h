/*
 * A vnode operation's argument struct (vnode_if.h): VOP_RD()'s caller
 * hands a place for the cookies (u_long **a_cookies), the file system's
 * operation, reached through a function pointer, stores its allocation
 * through it.
 */
#ifndef _SYS_VOP_H_
#define _SYS_VOP_H_
typedef unsigned long	u_long;
struct vop_rd_args {
	void	*a_vp;
	u_long	**a_cookies;
	int	*a_ncookies;
};
extern int (*vop_rd_vec)(void *);
int	VOP_RD(void *, u_long **, int *);
#endif
