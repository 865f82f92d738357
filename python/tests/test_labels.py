"""Label sets: sizes, order and uniqueness."""

import pytest

from lwganet.labels import get_labels, imagenet_synsets, list_label_sets, resolve_labels


@pytest.mark.parametrize("name,count", [("imagenet-1k", 1000), ("nwpu-resisc45", 45), ("aid", 30), ("ucm", 21)])
def test_label_set_sizes_and_uniqueness(name, count):
    labels = get_labels(name)
    assert len(labels) == count == len(set(labels))


@pytest.mark.parametrize("name", ["nwpu-resisc45", "aid", "ucm"])
def test_remote_sensing_sets_are_in_sorted_folder_order(name):
    # the upstream training script indexes classes by sorted folder name
    assert get_labels(name) == sorted(get_labels(name))


def test_imagenet_order_and_disambiguated_names():
    labels, synsets = get_labels("imagenet-1k"), imagenet_synsets()
    assert synsets[0] == "n01440764" and labels[0] == "tench"
    assert synsets[-1] == "n15075141" and labels[-1] == "toilet tissue"
    assert synsets == sorted(synsets)
    assert labels[134] == "crane (bird)" and labels[517] == "crane (machine)"
    assert labels[638] == "maillot" and labels[639] == "tank suit"


def test_resolve_labels():
    assert list_label_sets() == ["aid", "binary-change", "dota-v1.0", "dota-v1.5", "imagenet-1k", "loveda",
                                 "nwpu-resisc45", "uavid", "ucm"]
    assert resolve_labels(None) == (None, None)
    assert resolve_labels(["x", "y"]) == ("custom", ["x", "y"])
    with pytest.raises(ValueError, match="must be unique"):
        resolve_labels(["x", "x"])
    with pytest.raises(ValueError, match="no class names"):
        resolve_labels([])
