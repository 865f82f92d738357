/** A deterministic uniform [0, 1) generator (mulberry32) started from `seed`. */
export function seededRandom(seed: number): () => number;
