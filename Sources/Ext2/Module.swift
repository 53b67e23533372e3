// Ext2: see the module files beside this one.
