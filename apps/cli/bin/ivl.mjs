#!/usr/bin/env node
import { runCli } from '../dist/cli-process.js';

process.exitCode = await runCli(process.argv);
