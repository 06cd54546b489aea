/* Included by the golden inputs; brings kmem.h in indirectly. */
#include <sys/kmem.h>
