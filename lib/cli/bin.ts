#!/usr/bin/env node
import { main } from './main.js';
import { reportError } from './report-error.js';
import { removeTempFilesOnSignals } from '../output/temp-files.js';

removeTempFilesOnSignals();

main(process.argv).catch((error: unknown) => reportError(error));
