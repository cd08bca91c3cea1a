// Checks of the workspace itself (lint rules, project graph); they read files but need no database.
const base = require('../../jest.preset.cjs').unit(__dirname);
module.exports = { ...base, testMatch: ['<rootDir>/**/*.int-spec.ts'], testTimeout: 60_000 };
