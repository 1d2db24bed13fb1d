#!/usr/bin/env node
// `npx upshift …` from a checkout: the CLI's TypeScript runs through @swc-node/register, as the npm
// scripts do, with the repository's tsconfig wherever it is started from; no build step.
'use strict';
const path = require('path');

process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.json');
require('@swc-node/register');
require('../apps/cli/src/main.ts').main();
