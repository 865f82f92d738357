/**
 * The metadata every exported model carries as `metadata.json` inside its TorchScript archive.
 * Its schema is python/lwganet/metadata.schema.json, generated from the Python dataclasses in
 * python/lwganet/metadata.py; these types follow it and parseMetadata() accepts exactly what it
 * accepts (test/metadata-schema.test.ts checks both against the file), plus the rules a schema
 * cannot state (numClasses = labels.length, one palette colour per label, std ≠ 0), rejecting
 * anything else with METADATA_INVALID.
 */

import { DETECTION_LABEL_SETS } from '../detection/dota-classes.js';
import { LwganetError } from '../errors.js';

export type ModelTask = 'classification' | 'features' | 'segmentation' | 'change-detection' | 'rotated-detection';

export type InputSizeRule =
  | { rule: 'fixed'; height: number; width: number }
  | {
      rule: 'any';
      minHeight: number;
      minWidth: number;
      /** How sizes the official network rejects are handled, in one line (informational). */
      padding?: string;
      /** Sides must be multiples of this: set where the exported graph cannot pad (traced dense models). */
      multipleOf?: number;
    };

export type ResizeRule =
  | { mode: 'short-side-center-crop'; shortSide: number; crop: number; interpolation: string }
  | { mode: 'resize'; height: number; width: number; interpolation: string }
  | { mode: 'none' };

export interface InputSpec {
  channels: number;
  layout: 'NCHW';
  dtype: 'float32' | 'float16';
  colorOrder: 'RGB' | 'BGR';
  /** Raw pixel values are divided by this first (255 maps 0..255 to 0..1). */
  valueScale: number;
  mean: number[];
  std: number[];
  size: InputSizeRule;
  resize: ResizeRule;
}

export interface OutputSpec {
  name: string;
  kind: string;
  shape: Array<number | string>;
}

export interface WeightsSpec {
  source: 'random-init' | 'checkpoint';
  seed: number | null;
  file: string | null;
  sha256: string | null;
}

export interface ExportSpec {
  torchVersion: string;
  lwganetVersion: string;
  /** 'aoti': torch.export + AOTInductor, a compiled .pt2 package. */
  method: 'script' | 'trace' | 'aoti';
  frozen: boolean;
  dtype: 'float32' | 'float16';
  createdAt: string;
  /** "fast" (fused MRA strips and attention, channels-last weights) or "official" (the official
   *  op sequence). Absent in archives written before the field: those are "official". */
  graph?: 'fast' | 'official';
}

/** How a dense model (segmentation, change detection) is run on images of any size. */
export interface TilingSpec {
  /** Tile side used when the caller does not choose one. */
  defaultTileSize: number;
  /** Tile sides must be multiples of this (the model's own constraint). */
  tileMultiple: number;
  /** Smallest tile side the model accepts. */
  minTileSize: number;
  /** Overlap between neighbouring tiles, in pixels, when the caller does not choose one. */
  defaultOverlap: number;
}

/** Proposal stage of a two-stage rotated detector (informational: it runs inside the model). */
export interface RpnSpec {
  preNmsTopK: number;
  nmsIouThreshold: number;
  maxProposals: number;
}

/** How a rotated-detection model's boxes are to be read and merged. */
export interface DetectionSpec {
  /** Angles in radians, θ ∈ [−π/2, π/2), w ≥ h, positive clockwise on screen (image y down). */
  angleConvention: 'le90';
  /** Columns of the "rotated-boxes" output. */
  boxFormat: 'cx,cy,w,h,angle';
  /** Scores at or below this were dropped by the model; the default result threshold. */
  scoreThreshold: number;
  /** IoU above which the per-class rotated NMS suppresses a box (model and patch merge). */
  nmsIouThreshold: number;
  /** Most detections one forward returns. */
  maxPerImage: number;
  rpn: RpnSpec;
}

/** Output kinds of a rotated-detection model, one output each (a dict keyed by output name). */
export const DETECTION_OUTPUT_KINDS = ['rotated-boxes', 'scores', 'labels'] as const;

/** One RGB colour per label, for masks people look at. */
export type Palette = Array<[number, number, number]>;

export interface ModelMetadata {
  format: 'lwganet-model';
  formatVersion: number;
  task: ModelTask;
  model: string;
  variant: string;
  labelSet: string | null;
  labels: string[] | null;
  numClasses: number | null;
  input: InputSpec;
  outputs: OutputSpec[];
  /** Segmentation / change detection: colour per label (same order as labels). */
  palette?: Palette | null;
  /** Segmentation / change detection / rotated detection: tile rule for images of any size (required there). */
  tiling?: TilingSpec | null;
  /** Rotated detection: box convention and thresholds (required there, absent elsewhere). */
  detection?: DetectionSpec | null;
  weights: WeightsSpec;
  export: ExportSpec;
  /** Fields a newer exporter added are kept, untouched. */
  [extra: string]: unknown;
}

export const METADATA_FORMAT_VERSION = 1;

const TASKS: readonly ModelTask[] = ['classification', 'features', 'segmentation', 'change-detection', 'rotated-detection'];
/** Tasks run on images of any size by tiles: their metadata must carry `tiling`. */
const TILED_TASKS: readonly ModelTask[] = ['segmentation', 'change-detection', 'rotated-detection'];
const DTYPES = ['float32', 'float16'];

function fail(what: string): never {
  throw new LwganetError('METADATA_INVALID', `Model metadata is invalid: ${what}`);
}

/** A received value for an error message: JSON, shortened; "missing" for undefined. */
function shown(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function record(v: unknown, name: string): Record<string, unknown> {
  if (!isRecord(v)) fail(`${name} must be an object, got ${shown(v)}`);
  return v;
}

function integerAtLeast(v: unknown, min: number, name: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(`${name} must be an integer ≥ ${min}, got ${shown(v)}`);
}

function string(v: unknown, name: string, orNull = false): void {
  if (typeof v !== 'string' && !(orNull && v === null)) fail(`${name} must be a string${orNull ? ' or null' : ''}, got ${shown(v)}`);
}

function oneOf(v: unknown, allowed: readonly unknown[], name: string): void {
  if (!allowed.includes(v)) fail(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${shown(v)}`);
}

function numberArray(v: unknown, length: number, name: string): number[] {
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail(`${name} must be ${length} finite numbers, got ${shown(v)}`);
  }
  return v as number[];
}

function checkSize(size: unknown): void {
  if (!isRecord(size) || (size.rule !== 'fixed' && size.rule !== 'any')) fail('input.size.rule must be "fixed" or "any"');
  if (size.rule === 'fixed') {
    integerAtLeast(size.height, 1, 'input.size.height');
    integerAtLeast(size.width, 1, 'input.size.width');
    return;
  }
  integerAtLeast(size.minHeight, 1, 'input.size.minHeight');
  integerAtLeast(size.minWidth, 1, 'input.size.minWidth');
  if (size.padding !== undefined) string(size.padding, 'input.size.padding');
  if (size.multipleOf !== undefined) integerAtLeast(size.multipleOf, 1, 'input.size.multipleOf');
}

function checkResize(resize: unknown): void {
  if (!isRecord(resize) || !['short-side-center-crop', 'resize', 'none'].includes(resize.mode as string)) {
    fail('input.resize.mode must be "short-side-center-crop", "resize" or "none"');
  }
  if (resize.mode === 'none') return;
  const sides = resize.mode === 'resize' ? ['height', 'width'] : ['shortSide', 'crop'];
  for (const key of sides) integerAtLeast(resize[key], 1, `input.resize.${key}`);
  string(resize.interpolation, 'input.resize.interpolation');
}

function checkInput(value: unknown): InputSpec {
  const input = record(value, 'input');
  const channels = input.channels;
  if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1) fail(`input.channels must be a positive integer, got ${shown(channels)}`);
  if (input.layout !== 'NCHW') fail(`input.layout must be "NCHW", got ${shown(input.layout)}`);
  oneOf(input.dtype, DTYPES, 'input.dtype');
  if (input.colorOrder !== 'RGB' && input.colorOrder !== 'BGR') fail(`input.colorOrder must be "RGB" or "BGR", got ${shown(input.colorOrder)}`);
  if (typeof input.valueScale !== 'number' || !(input.valueScale > 0)) fail(`input.valueScale must be a positive number, got ${shown(input.valueScale)}`);
  numberArray(input.mean, channels, 'input.mean');
  const std = numberArray(input.std, channels, 'input.std');
  if (std.some((s) => s === 0)) fail('input.std must not contain 0');
  checkSize(input.size);
  checkResize(input.resize);
  return input as unknown as InputSpec;
}

function checkOutputs(outputs: unknown): void {
  if (!Array.isArray(outputs) || outputs.length === 0) fail('outputs must be a non-empty array');
  outputs.forEach((o, i) => {
    const output = record(o, `outputs[${i}]`);
    string(output.name, `outputs[${i}].name`);
    string(output.kind, `outputs[${i}].kind`);
    const shape = output.shape;
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'string' || Number.isInteger(d))) {
      fail(`outputs[${i}].shape must be an array of integers and strings`);
    }
  });
}

function checkWeights(value: unknown): void {
  const weights = record(value, 'weights');
  oneOf(weights.source, ['random-init', 'checkpoint'], 'weights.source');
  if (weights.seed !== null && !Number.isInteger(weights.seed)) fail('weights.seed must be an integer or null');
  string(weights.file, 'weights.file', true);
  string(weights.sha256, 'weights.sha256', true);
}

function checkExport(value: unknown): void {
  const exp = record(value, 'export');
  for (const key of ['torchVersion', 'lwganetVersion', 'createdAt']) string(exp[key], `export.${key}`);
  oneOf(exp.method, ['script', 'trace', 'aoti'], 'export.method');
  if (typeof exp.frozen !== 'boolean') fail('export.frozen must be a boolean');
  oneOf(exp.dtype, DTYPES, 'export.dtype');
  if (exp.graph !== undefined) oneOf(exp.graph, ['fast', 'official'], 'export.graph');
}

function checkPalette(palette: unknown, labels: unknown): void {
  if (palette === undefined || palette === null) return;
  const ok = Array.isArray(palette) && palette.every((c) => Array.isArray(c) && c.length === 3 && c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
  if (!ok) fail('palette must be an array of [r, g, b] triples of integers 0..255');
  if (Array.isArray(labels) && (palette as unknown[]).length !== labels.length) fail('palette must have one colour per label');
}

function checkTiling(tiling: unknown): void {
  if (tiling === undefined || tiling === null) return;
  if (!isRecord(tiling)) fail('tiling must be an object');
  for (const key of ['defaultTileSize', 'tileMultiple', 'minTileSize'] as const) {
    const v = tiling[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(`tiling.${key} must be a positive integer`);
  }
  const overlap = tiling.defaultOverlap;
  if (typeof overlap !== 'number' || !Number.isInteger(overlap) || overlap < 0) fail('tiling.defaultOverlap must be a non-negative integer');
}

function probability(v: unknown): boolean {
  return typeof v === 'number' && v >= 0 && v <= 1;
}

function positiveInteger(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

function checkDetection(detection: unknown): void {
  if (detection === undefined || detection === null) return;
  if (!isRecord(detection)) fail('detection must be an object');
  if (detection.angleConvention !== 'le90') fail('detection.angleConvention must be "le90"');
  if (detection.boxFormat !== 'cx,cy,w,h,angle') fail('detection.boxFormat must be "cx,cy,w,h,angle"');
  if (!probability(detection.scoreThreshold)) fail('detection.scoreThreshold must be a number from 0 to 1');
  if (!probability(detection.nmsIouThreshold)) fail('detection.nmsIouThreshold must be a number from 0 to 1');
  if (!positiveInteger(detection.maxPerImage)) fail('detection.maxPerImage must be a positive integer');
  const rpn = detection.rpn;
  if (!isRecord(rpn)) fail('detection.rpn must be an object');
  if (!positiveInteger(rpn.preNmsTopK)) fail('detection.rpn.preNmsTopK must be a positive integer');
  if (!probability(rpn.nmsIouThreshold)) fail('detection.rpn.nmsIouThreshold must be a number from 0 to 1');
  if (!positiveInteger(rpn.maxProposals)) fail('detection.rpn.maxProposals must be a positive integer');
}

/** A rotated-detection model names one output of each kind (the keys of its output dict). */
function checkDetectionOutputs(outputs: unknown): void {
  if (!Array.isArray(outputs)) fail('outputs must be an array');
  for (const kind of DETECTION_OUTPUT_KINDS) {
    const named = outputs.filter((o) => isRecord(o) && o.kind === kind);
    if (named.length !== 1 || typeof (named[0] as Record<string, unknown>).name !== 'string') {
      fail(`a rotated-detection model must declare exactly one output of kind "${kind}" with a name`);
    }
  }
}

/** A model that names a known detection label set must list that set's classes, in order. */
function checkLabelSet(labelSet: unknown, labels: unknown): void {
  if (typeof labelSet !== 'string' || !(labelSet in DETECTION_LABEL_SETS)) return;
  const expected = DETECTION_LABEL_SETS[labelSet];
  if (!Array.isArray(labels) || labels.length !== expected.length || labels.some((l, i) => l !== expected[i])) {
    fail(`labels must be the ${expected.length} ${labelSet} classes in order (${expected.join(', ')})`);
  }
}

/** Parses and checks the JSON text stored in the archive. */
export function parseMetadata(text: string): ModelMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(`metadata.json is not JSON (${(error as Error).message})`);
  }
  if (!isRecord(value)) fail('metadata.json must hold an object');
  if (value.format !== 'lwganet-model') fail(`format must be "lwganet-model", got ${shown(value.format)}`);
  if (!('formatVersion' in value)) fail(`formatVersion is missing (expected the integer ${METADATA_FORMAT_VERSION})`);
  if (typeof value.formatVersion !== 'number' || !Number.isInteger(value.formatVersion) || value.formatVersion < 1) {
    fail(`formatVersion must be a positive integer (${METADATA_FORMAT_VERSION} for this package), got ${shown(value.formatVersion)}`);
  }
  if (value.formatVersion > METADATA_FORMAT_VERSION) {
    fail(`formatVersion ${value.formatVersion} is newer than this package understands (${METADATA_FORMAT_VERSION}); upgrade lwganet-node`);
  }
  if (!TASKS.includes(value.task as ModelTask)) fail(`task must be one of ${TASKS.join(', ')}, got ${shown(value.task)}`);
  if (typeof value.model !== 'string') string(value.model, 'model');
  string(value.variant, 'variant');
  string(value.labelSet, 'labelSet', true);
  const labels = value.labels;
  if (labels !== null) {
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) fail('labels must be an array of strings or null');
    if (value.numClasses !== labels.length) fail(`numClasses (${String(value.numClasses)}) must equal labels.length (${labels.length})`);
  } else if (value.numClasses !== null) {
    fail('numClasses must be null when labels is null');
  }
  if ((labels === null) !== (value.labelSet === null)) fail('labels and labelSet must be given together');
  checkInput(value.input);
  checkOutputs(value.outputs);
  checkPalette(value.palette, labels);
  checkTiling(value.tiling);
  if (TILED_TASKS.includes(value.task as ModelTask) && !isRecord(value.tiling)) fail(`tiling must be given for task ${String(value.task)}`);
  checkWeights(value.weights);
  checkExport(value.export);
  const hasDetection = value.detection !== undefined && value.detection !== null;
  if (hasDetection !== (value.task === 'rotated-detection')) fail('detection must be given for task rotated-detection and only there');
  checkDetection(value.detection);
  checkLabelSet(value.labelSet, labels);
  if (value.task === 'rotated-detection') checkDetectionOutputs(value.outputs);
  return value as ModelMetadata;
}
