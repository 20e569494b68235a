#!/usr/bin/env node
// Placeholder until this binary lands.
import { realMain } from './main.js';
realMain(async () => {
  console.error('ipsecadm: not yet implemented');
  return 2;
});
