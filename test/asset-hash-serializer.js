// Blanks asset hashes in snapshots, so a change to service/ or to a bundled asset does not
// churn every stack snapshot; what the snapshot guards is the shape of the template.
const HASH = /[0-9a-f]{64}/g;

module.exports = {
  test: (value) => typeof value === 'string' && HASH.test(value) && (HASH.lastIndex = 0) === 0,
  serialize: (value) => JSON.stringify(value.replace(HASH, '<asset-hash>')),
};
