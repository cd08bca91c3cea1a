// Integration tests of the storage adapters touch the file system and a local HTTP fake of GCS only:
// no PostgreSQL, so the unit preset with the *.int-spec.ts pattern.
const { unit } = require('../../../jest.preset.cjs');

module.exports = { ...unit(__dirname), testMatch: ['<rootDir>/**/*.int-spec.ts'], testTimeout: 30_000 };
