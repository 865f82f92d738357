"""Oriented object detection: Oriented R-CNN with the LWGANet backbone and FPN (heads.md §7).

Modules: anchors, coders (midpoint-offset and delta-xywha decoding, le90), fpn, rpn_head,
rotated_roi_align, bbox_head, nms (pure-torch reference) and native_ops (the two
``torch.ops.lwganet`` NMS operators), orcnn (the whole test-time model), models (registry
entries), checkpoint (mmrotate checkpoint files) and export (TorchScript + metadata).
"""
