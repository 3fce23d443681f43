"""`optimise`: the least-cost robust lever packages (DESIGN §9)."""
