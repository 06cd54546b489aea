"""The kernel side: the malloc(9) shim (shim), building converted trees
(check, ports, makeoptions, outside), and running them (rumptest, boottest,
bootconsole)."""
