/*	Stand-in for <sys/cdefs.h> (kmem2malloc examples).	*/
