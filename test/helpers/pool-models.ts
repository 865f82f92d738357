// The pool tests' model, generated with the other fixtures (test/fixtures/make_models.py).
import { fixture } from './fixtures.js';

/** Path of fails_on_negative.pt: forward(x) = x * 2, raising when any element of x is < 0. */
export function failsOnNegativeModel(): string {
  return fixture('fails_on_negative.pt');
}
