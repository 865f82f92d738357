"""Scene classification (and the ``--features`` dense-backbone export): LWGANet L0/L1/L2 with the
classification head. Modules: config (registered names and defaults), model, head, labels,
family (the hooks the builder and the export pipeline call)."""
