// The end-to-end test of `npm start` brings its own embedded PostgreSQL (start.mjs starts it), so it
// needs the unit preset's transform only, not the integration preset's shared server.
const { unit } = require('../../jest.preset.cjs');

module.exports = { ...unit(__dirname), testMatch: ['<rootDir>/**/*.int-spec.ts'], testTimeout: 180_000 };
