/* Harness stand-in for the malloc_types.h install-shim generates. */
#ifndef _SYS_MALLOC_TYPES_H_
#define	_SYS_MALLOC_TYPES_H_
MALLOC_DECLARE(M_TEST1);
MALLOC_DECLARE(M_TEST2);
MALLOC_DECLARE(M_USBDEV);
#endif
