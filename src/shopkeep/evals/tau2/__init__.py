"""τ²-bench retail on shopkeep: its tasks, its scoring and pass^k, with a simulated customer."""
