#!/usr/bin/env node
import { main } from './main.js';
import { reportError } from './report-error.js';

main(process.argv).catch((error: unknown) => reportError(error));
