"""`discover`: scenario discovery, when does a package fail? Plan, runs, PRIM and CART boxes, report, figures."""
