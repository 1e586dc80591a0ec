#!/usr/bin/env node
// Entry of the `stratum` command (package.json "bin").
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
