#!/usr/bin/env node
// keynote(1): the KeyNote trust-management tool (verify, sign, sigver, keygen).
import { realMain } from './main.js';
import { keynoteCommand } from '../policy/tools/keynote-tool.js';
import { consoleOut } from '../policy/tools/io.js';

realMain((argv) => keynoteCommand(argv, consoleOut));
