#!/usr/bin/env node
// Placeholder until this binary lands.
import { realMain } from './main.js';
realMain(async () => {
  console.error('isakmpd: not yet implemented');
  return 2;
});
