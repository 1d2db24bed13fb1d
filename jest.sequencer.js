// @ts-check
/**
 * Jest's own order, except for suites it has never timed (every suite on a fresh clone, as in CI): it
 * orders those by file size alone, which started the suites that boot whole stacks (tens of seconds
 * each) late and left one worker running them alone at the end. Here such a suite, recognisable by
 * its name, weighs as if it were much larger, so the two workers start with them and end together.
 */
const path = require('path');

const Sequencer = require(
  require.resolve('@jest/test-sequencer', { paths: [path.dirname(require.resolve('@jest/core'))] }),
).default;

/** Suites that start services in processes of their own: e2e specs and the chaos library's tests. */
const STACK_SUITE = /(\.e2e\.spec\.ts$|[\\/]apps[\\/]e2e[\\/]|[\\/]libs[\\/]chaos[\\/]test[\\/])/;
const STACK_WEIGHT = 8;

class StackSuitesFirst extends Sequencer {
  /** @param {import('@jest/test-result').Test[]} tests */
  sort(tests) {
    /** @param {import('@jest/test-result').Test} test */
    const weight = (test) =>
      (test.context.hasteFS.getSize(test.path) ?? 0) * (STACK_SUITE.test(test.path) ? STACK_WEIGHT : 1);
    for (const test of tests) test.duration = this.time(test);
    return tests.sort((a, b) => {
      const failedA = this.hasFailed(a);
      if (failedA !== this.hasFailed(b)) return failedA ? -1 : 1;
      const timedA = a.duration != null;
      const timedB = b.duration != null;
      if (timedA !== timedB) return timedA ? 1 : -1;
      if (timedA && timedB) return /** @type {number} */ (b.duration) - /** @type {number} */ (a.duration);
      return weight(b) - weight(a);
    });
  }
}

module.exports = StackSuitesFirst;
