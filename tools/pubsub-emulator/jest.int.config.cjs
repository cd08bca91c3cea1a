// No PostgreSQL here, so the unit preset with the integration file pattern rather than `integration`.
const base = require('../../jest.preset.cjs').unit(__dirname);
module.exports = { ...base, testMatch: ['<rootDir>/**/*.int-spec.ts'], testTimeout: 60000 };
