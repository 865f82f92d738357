"""Change detection: A2Net-LWGANet and CLAFA-LWGANet, forward(a, b) → (N, 1, H, W) probability of
change. Modules: config (registered names and defaults), a2net and clafa (the networks), labels,
family (the hooks the builder and the export pipeline call)."""
