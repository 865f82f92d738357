"""Oriented object detection: Oriented R-CNN with the LWGANet backbone and FPN (le90 boxes).

Modules: config (registered names and defaults), labels (DOTA), checkpoint (mmrotate checkpoint
files), family (the hooks the builder and the export pipeline call), and the network: orcnn
(the whole test-time model), anchors, coders (midpoint-offset and delta-xywha decoding), fpn,
rpn_head, rotated_roi_align, bbox_head, nms (pure-torch reference) and native_ops (the two
``torch.ops.lwganet`` NMS operators).
"""
