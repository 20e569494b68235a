// Placeholder until this subcommand lands.
export async function run(_argv: string[]): Promise<number> {
  console.error('isakmpctl control: not yet implemented');
  return 2;
}
