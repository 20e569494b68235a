// Mocha glue: skip a suite with a clear reason when the lab cannot run, and close every lab after it.
import { Lab } from './lab.js';

/**
 * In a describe(): skips the suite when `unavailable()` gives a reason, and closes all labs in after().
 * Returns the reason (or undefined) so a suite can also branch on it.
 */
export function labSuiteHooks(unavailable: () => string | undefined): string | undefined {
  const reason = unavailable();
  before(function () {
    if (reason) {
      console.log(`    skipped: ${reason}`);
      this.skip();
    }
  });
  after(async function () {
    await Lab.closeAll();
  });
  return reason;
}
