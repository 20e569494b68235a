// isakmpctl policy-test: evaluate the KeyNote policy against a described SA (see src/policy/tools).
import { policyTestCommand } from '../../policy/tools/policy-test.js';
import { consoleOut } from '../../policy/tools/io.js';

export async function run(argv: string[]): Promise<number> {
  return policyTestCommand(argv, consoleOut);
}
