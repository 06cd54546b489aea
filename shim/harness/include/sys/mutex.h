/* Harness stand-in for <sys/mutex.h>: pthread mutexes. */
#ifndef _SYS_MUTEX_H_
#define	_SYS_MUTEX_H_
#include <pthread.h>
typedef pthread_mutex_t kmutex_t;
#define	MUTEX_DEFAULT	0
#define	IPL_NONE	0
#define	IPL_VM		6
#define	mutex_init(m, t, ipl)	pthread_mutex_init((m), NULL)
#define	mutex_enter(m)		pthread_mutex_lock(m)
#define	mutex_exit(m)		pthread_mutex_unlock(m)
#endif
