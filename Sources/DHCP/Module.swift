// DHCP: see the module files beside this one.
