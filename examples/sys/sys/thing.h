/*	A kernel service drivers hand memory to (kmem2malloc examples).	*/
#ifndef _SYS_THING_H_
#define _SYS_THING_H_
#include <sys/types.h>
struct thing {
	void	*t_buf;		/* allocated by the driver, freed by thing_destroy */
	size_t	t_len;
};
void	thing_destroy(struct thing *);
#endif /* !_SYS_THING_H_ */
