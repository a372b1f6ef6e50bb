#!/usr/bin/env node
// The CLI runs the compiled sources; `npm install` (prepare) and `npm start` build them.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
