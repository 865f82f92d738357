/**
 * Element types of tensors and the typed arrays that hold them.
 * float16 travels as raw IEEE-754 half bits in a Uint16Array; bool as 0/1 in a Uint8Array.
 */

export const DTYPES = ['float32', 'float64', 'float16', 'uint8', 'int8', 'int32', 'int64', 'bool'] as const;

export type DType = (typeof DTYPES)[number];

/** The typed array that carries each dtype's data. */
export interface DataTypeMap {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  uint8: Uint8Array;
  int8: Int8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

export type TypedArray = DataTypeMap[DType];

type TypedArrayConstructor<T> = {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

export const TYPED_ARRAY_OF: { readonly [D in DType]: TypedArrayConstructor<DataTypeMap[D]> } = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

export function bytesPerElement(dtype: DType): number {
  return TYPED_ARRAY_OF[dtype].BYTES_PER_ELEMENT;
}

/** True when `data` is the typed array kind `dtype` requires. */
export function matchesDType(dtype: DType, data: unknown): boolean {
  return data instanceof TYPED_ARRAY_OF[dtype];
}
