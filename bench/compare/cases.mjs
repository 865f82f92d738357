// The cases bench/compare.mjs knows: the classifiers at 224² (batch 1 and 16) and the dense
// backbone at 1024² (batch 1). Iterations per round and warm-up calls are sized so one round of
// one runtime takes about a second on a 2-core machine; --iterations / --warmup override them.

const classifier = (variant, batch) => ({
  id: `${variant}-224-b${batch}`, model: `lwganet_${variant}`, features: false, size: 224, batch,
  iterations: batch === 1 ? 20 : 3, warmup: batch === 1 ? 10 : 2,
});
const backbone = (variant) => ({
  id: `${variant}-features-1024-b1`, model: `lwganet_${variant}`, features: true, size: 1024, batch: 1,
  iterations: 1, warmup: 2,
});

// The same L0 224² b1 model and input, timed while one CPU-bound process (`node -e 'for(;;){}'`)
// runs beside every runtime: a server is rarely idle, and OpenMP teams suffer most then.
const busy = (c) => ({ ...c, id: `${c.id}-busy`, busy: true });

export const CASES = [
  classifier('l0', 1), busy(classifier('l0', 1)), classifier('l0', 16), classifier('l1', 1), classifier('l1', 16),
  classifier('l2', 1), classifier('l2', 16), backbone('l0'), backbone('l2'),
];

/** The --quick default: one case of each kind, all on L0 (a smoke test, not a measurement). */
export const QUICK_CASES = ['l0-224-b1', 'l0-224-b1-busy', 'l0-224-b16', 'l0-features-1024-b1'];

/** Cases named in a comma list ("all" for every case); throws listing the ids on a typo. */
export function selectCases(list) {
  if (list === 'all') return CASES;
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !CASES.some((c) => c.id === id));
  if (unknown.length || ids.length === 0) {
    throw new RangeError(`unknown case ${unknown.join(', ') || '(none given)'}; cases: all, ${CASES.map((c) => c.id).join(', ')}`);
  }
  return CASES.filter((c) => ids.includes(c.id));
}
