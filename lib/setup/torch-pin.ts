/**
 * The torch `lwganet setup` installs: the release the prebuild is built against (the project's
 * pinned torch; test/setup.test.ts keeps the two equal), from PyTorch's own wheel index:
 * CPU by default, a CUDA flavour with --cuda.
 */

export const TORCH_VERSION = '2.15.0';

/** The CUDA flavour of PyPI's default Linux torch 2.15.0 wheel (what the prebuild links). */
export const DEFAULT_CUDA = 'cu132';

export const PYTORCH_INDEX = 'https://download.pytorch.org/whl';

/** 'cpu' or a CUDA flavour such as 'cu132'; the wheel index is PYTORCH_INDEX/<flavour>. */
export type TorchFlavour = string;

export function indexFor(flavour: TorchFlavour): string {
  return `${PYTORCH_INDEX}/${flavour}`;
}

/** The other Python packages the exporter imports. */
export const EXPORTER_PACKAGES = ['numpy'];

/** Rough disk use of the venv, to check free space before starting (bytes). */
export function expectedVenvBytes(flavour: TorchFlavour): number {
  const GiB = 1024 ** 3;
  return flavour === 'cpu' ? 1.5 * GiB : 7 * GiB; // CPU wheel ~0.2 GB + deps; CUDA pulls ~5.5 GB of nvidia wheels
}
