// Checks of deploy/ against the real tools (kubectl kustomize, the built services, node); no database,
// so the unit preset with the integration file pattern rather than `integration`.
const base = require('../../jest.preset.cjs').unit(__dirname);
module.exports = { ...base, testMatch: ['<rootDir>/**/*.int-spec.ts'], testTimeout: 120_000 };
