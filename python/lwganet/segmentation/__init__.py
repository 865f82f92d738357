"""Semantic segmentation: UNetFormer-LWGANet. Modules: config (registered names and defaults),
unetformer (the network), labels, family (the hooks the builder and the export pipeline call)."""
