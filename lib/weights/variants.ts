/**
 * The official LWGANet ImageNet-1k checkpoints (AeroVILab-AHU/LWGANet README, "Imagenet 300-epoch
 * pre-trained" links on the lwCVer/LWGANet GitHub release "weights"). Each holds
 * {'model': state_dict} for the backbone with its 1000-class head.
 * sha256: the authors publish none, and the files could not be downloaded while this was written;
 * a checkpoint is therefore verified by loading it strictly in the exporter, and its sha256 is
 * recorded in the exported model's metadata. Fill in the hashes once they are known.
 */

export type WeightsVariant = 'l0' | 'l1' | 'l2';

export interface OfficialWeights {
  /** Registered model name in the Python package. */
  model: string;
  file: string;
  url: string;
  sha256: string | null;
  labelSet: 'imagenet-1k';
}

const RELEASE = 'https://github.com/lwCVer/LWGANet/releases/download/weights';

export const OFFICIAL_WEIGHTS: Readonly<Record<WeightsVariant, OfficialWeights>> = Object.freeze({
  l0: { model: 'lwganet_l0', file: 'lwganet_l0_e299.pth', url: `${RELEASE}/lwganet_l0_e299.pth`, sha256: null, labelSet: 'imagenet-1k' },
  l1: { model: 'lwganet_l1', file: 'lwganet_l1_e299.pth', url: `${RELEASE}/lwganet_l1_e299.pth`, sha256: null, labelSet: 'imagenet-1k' },
  l2: { model: 'lwganet_l2', file: 'lwganet_l2_e296.pth', url: `${RELEASE}/lwganet_l2_e296.pth`, sha256: null, labelSet: 'imagenet-1k' },
});

export const WEIGHTS_VARIANTS = Object.keys(OFFICIAL_WEIGHTS) as WeightsVariant[];
