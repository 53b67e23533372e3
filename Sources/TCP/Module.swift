// TCP: see the module files beside this one.
