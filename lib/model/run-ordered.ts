/**
 * Keys of Model's internal run methods for inputs already ordered and checked by orderInputs()
 * (the InferencePool checks each request once when it is queued, then runs batches of them):
 * symbols, so they stay out of the public API and out of autocompletion.
 */

export const RUN_ORDERED = Symbol('lwganet.runOrdered');
export const RUN_ORDERED_SYNC = Symbol('lwganet.runOrderedSync');
