/* A struct that many subsystems allocate, each under its own type
 * (struct sockaddr). */
#ifndef _SYS_SA_H_
#define _SYS_SA_H_
struct sa {
	int	sa_len;
};
#endif
