/* Fixture stand-in for <sys/file.h>: a framework's generic member that
 * unrelated drivers share (fd_clone's f_data). */
#ifndef _SYS_FILE_H_
#define _SYS_FILE_H_
struct file {
	int	f_flag;
	void	*f_data;
};
#endif
