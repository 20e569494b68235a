#!/usr/bin/env node
// isakmpd: the IKEv1 key management daemon. This entry point first gives the process its V8 young generation
// (young-generation.ts; that may replace the process, keeping its PID), then loads the daemon itself.
import { reexecWithYoungGeneration } from './young-generation.js';

reexecWithYoungGeneration();
await import('./isakmpd-main.js');
