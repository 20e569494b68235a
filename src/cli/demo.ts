#!/usr/bin/env node
// Placeholder until this binary lands.
import { realMain } from './main.js';
realMain(async () => {
  console.error('demo: not yet implemented');
  return 2;
});
