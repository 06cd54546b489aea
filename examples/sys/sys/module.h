/*	Stand-in for <sys/module.h> (kmem2malloc examples).	*/
#ifndef _SYS_MODULE_H_
#define _SYS_MODULE_H_
typedef enum { MODULE_CMD_INIT, MODULE_CMD_FINI } modcmd_t;
#define	MODULE_CLASS_DRIVER	1
#define	MODULE(class, name, required)					\
	static int name ## _modcmd(modcmd_t, void *)
#define	ENOTTY	25
#endif /* !_SYS_MODULE_H_ */
