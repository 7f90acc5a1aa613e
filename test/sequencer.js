// Jest runs the longest test files first when it knows their times from an earlier run, and the
// largest first on a fresh clone. The fork test is small but the longest by far (it runs the app's
// tools and a jest of its own in a copy), so it and this-app go first: started last, either would
// keep one core busy alone at the end of the run (decision 16).
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = ['fork.test.ts', 'this-app.test.ts'];
const rank = (test) => {
  const at = FIRST.findIndex((name) => test.path.endsWith(`/test/${name}`));
  return at < 0 ? FIRST.length : at;
};

module.exports = class LongestFirst extends Sequencer {
  async sort(tests) {
    return [...(await super.sort(tests))].sort((a, b) => rank(a) - rank(b));
  }
};
