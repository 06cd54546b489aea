/* udf's union dscrptr: read by one file, freed by another. */
#ifndef _SYS_DSC_H_
#define _SYS_DSC_H_
union dsc {
	int	d_tag;
	char	d_raw[64];
};
int	rd_read(union dsc **);
void	rd_write(union dsc *);
#endif
