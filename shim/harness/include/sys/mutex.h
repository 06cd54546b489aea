/*
 * Harness stand-in for <sys/mutex.h>: pthread mutexes.  As in NetBSD, a
 * mutex initialized with an IPL above IPL_NONE is a spin mutex: holding
 * it raises the IPL to that level, so an interrupt on the holder's CPU
 * waits (<sys/intr.h>) instead of spinning on it for ever.
 */
#ifndef _SYS_MUTEX_H_
#define	_SYS_MUTEX_H_
#include <pthread.h>
#include <sys/intr.h>

#define	MUTEX_DEFAULT	0

typedef struct kmutex {
	pthread_mutex_t	mtx_lock;
	int		mtx_ipl;	/* > IPL_NONE: a spin mutex */
	int		mtx_oldspl;	/* the holder's IPL before */
} kmutex_t;

static inline void
mutex_init(kmutex_t *m, int type, int ipl)
{

	(void)type;
	pthread_mutex_init(&m->mtx_lock, NULL);
	m->mtx_ipl = ipl;
}

static inline void
mutex_enter(kmutex_t *m)
{
	int s = m->mtx_ipl > IPL_NONE ? splraise(m->mtx_ipl) : IPL_NONE;

	pthread_mutex_lock(&m->mtx_lock);
	m->mtx_oldspl = s;
}

static inline void
mutex_exit(kmutex_t *m)
{
	int s = m->mtx_oldspl;

	pthread_mutex_unlock(&m->mtx_lock);
	if (m->mtx_ipl > IPL_NONE)
		splx(s);
}
#endif
