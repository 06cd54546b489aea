/* iscsi_globals.h: one subsystem's own structs. */
#ifndef _ISC_VAR_H_
#define _ISC_VAR_H_
struct isc_ccb {
	void	*c_text;
	int	c_len;
};
struct isc_sess {
	void	*s_list;
	int	s_len;
};
struct isc_ev {
	int	e_n;
};
void	isc_post(struct isc_ev *);
#endif
